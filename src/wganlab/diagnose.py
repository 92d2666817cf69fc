"""`wganlab diagnose RUN`: a fresh probe of the latest checkpoint plus findings from the run's logs.

Only what the probe needs is built (the networks, the data, the objective): no optimiser, no evaluator, and
never a feature extractor.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from wganlab import rundir, runlogs
from wganlab.diagnostics.diagnosis import Diagnosis, diagnose_logs
from wganlab.diagnostics.findings import GAP_GROWTH, GAP_TREND, MIN_EVALUATIONS
from wganlab.diagnostics.probe import ProbeRecord
from wganlab.errors import UserError
from wganlab.training.probing import build_prober
from wganlab.training.snapshot import load_snapshot
from wganlab.training.streams import FRESH_PROBE, step_seed

SHOWN_GAPS = 8  # held-out gaps printed: the first two and the last six of a longer run


def fresh_probe(target: Path, data_root: str | None = None) -> ProbeRecord:
    """A probe of the checkpoint (a run folder's latest, or a checkpoint file), with its "step".

    It draws the same points whatever the checkpoint's step, so fresh probes of two checkpoints compare like
    with like.
    """
    snapshot = load_snapshot(target, data_root)
    prober = build_prober(snapshot.config, snapshot.dataset, snapshot.objective)
    seed = step_seed(snapshot.config.train.seed, 0, FRESH_PROBE)
    return {"step": snapshot.step} | prober.probe(snapshot.generator, snapshot.critic, seed=seed)


def diagnose(target: Path, data_root: str | None = None) -> Diagnosis:
    """Diagnose a run folder (its latest checkpoint) or a checkpoint file, its training data read from `data_root`
    when given (it moved: the probe draws real points)."""
    has_checkpoint = rundir.has_checkpoint(target)
    folder = rundir.resolve_checkpoint(target)[0] if has_checkpoint else target
    if folder is None:
        raise UserError(f"{target} is not in a run folder's {rundir.CHECKPOINTS}/: diagnose reads the run's logs too; "
                        "give the run folder")
    logs = runlogs.read_run(folder)
    return diagnose_logs(logs, fresh_probe(target, data_root) if has_checkpoint else None)


def diagnosis_or_reason(folder: Path, data_root: str | None = None) -> Diagnosis | str:
    """A fresh diagnosis, or the one-line reason there is none (what a report shows in its place)."""
    try:
        return diagnose(folder, data_root)
    except UserError as error:
        return str(error)


def diagnose_command(args: argparse.Namespace) -> int:
    """`wganlab diagnose RUN`: the fresh probe, the tracking, when it was safe to stop, and the findings, printed."""
    diagnosis = diagnose(args.target, args.data_root)
    print(f"{diagnosis.folder}  (probe of the checkpoint at step {diagnosis.step})")
    for key, value in diagnosis.probe.items():
        if key == "gradients/layer_norms":
            value = "  ".join(f"{norm:.3g}" for norm in value)  # type: ignore[union-attr]
            print(f"  {key:<28} {value}")
        elif key != "step":
            print(f"  {key:<28} {value:.6g}")
    if diagnosis.tracking is not None:
        tracking = diagnosis.tracking
        against = f"critic estimate vs {tracking.metric} ({tracking.evaluations} evaluations)"
        print(f"  {'tracking (Spearman rho)':<28} {tracking.rho:.3f}  {against}")
    if (heldout := diagnosis.heldout) is not None:
        pairs = [f"{gap:.3g}@{step}" for step, gap in zip(heldout.steps, heldout.gaps, strict=True)]
        shown = "  ".join(pairs if len(pairs) <= SHOWN_GAPS else [*pairs[:2], "...", *pairs[-(SHOWN_GAPS - 2):]])
        verdict = ("too few probes for the rule" if len(pairs) < MIN_EVALUATIONS else
                   f"{'growing' if heldout.trend.growing else 'not growing'}: rho >= {GAP_TREND} and final > "
                   f"{GAP_GROWTH:g}x early")
        print(f"  {'held-out gap (gap@step)':<28} {shown}  (Spearman(step, gap) {heldout.trend.trend:.2f}; {verdict})")
    if (stopping := diagnosis.stopping) is not None:
        rule = f"step {stopping.quality.detected_at}" if stopping.quality else "never"
        estimate = f"step {stopping.estimate.detected_at}" if stopping.estimate else "never"
        print(f"  {'safe to stop at':<28} step {stopping.safe_step} of {stopping.final_step}  (best {stopping.metric} "
              f"{stopping.best:.4g} at step {stopping.best_step}; plateau rule fires at {rule}; the critic's "
              f"estimate levels off at {estimate})")
    print("findings:" if diagnosis.findings else "findings: none (no rule fired)")
    for finding in diagnosis.findings:
        print(f"  [{finding.severity}] {finding.title}: {finding.message}\n      evidence: {finding.evidence}")
    return 0
