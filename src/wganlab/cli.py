"""The `wganlab` command: parse, build a config, call one public function.

A problem the user can fix (bad config, bad file, wrong checkpoint) ends with one line on stderr and exit
code 2.
"""

from __future__ import annotations

import argparse
import errno
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from wganlab import config as configuration
from wganlab.arguments import parser
from wganlab.errors import CollectiveError, UserError

EXIT_USER_ERROR = 2


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(HANDLERS[args.command](args) or 0)
    except CollectiveError as error:  # every rank of a distributed run met it: rank 0 alone says so
        if not _rank():  # None (one process) or 0
            print(f"wganlab: error: {error}", file=sys.stderr)
        return EXIT_USER_ERROR
    except UserError as error:
        print(f"wganlab: error: {_where()}{error}", file=sys.stderr)
        return EXIT_USER_ERROR
    except OSError as error:  # a full disk, a read-only folder, a path that is a file: what and where, in one line
        print(f"wganlab: error: {os_error_line(error)}", file=sys.stderr)
        return EXIT_USER_ERROR
    except (MemoryError, RuntimeError) as error:  # torch's allocators raise RuntimeError (OutOfMemoryError on CUDA)
        if not isinstance(error, MemoryError) and not _out_of_memory(error):
            raise
        print("wganlab: error: out of memory; lower train.batch_size, model.width or the evaluation's sample "
              "counts (eval.image_samples, --samples, --count)", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print(f"wganlab: interrupted{_RESUME.get(args.command, '')}", file=sys.stderr)
        return 130


_RESUME = {  # what an interrupted command keeps, and how to go on from it
    "train": "; resume with --resume RUN from the last checkpoint",
    "claims": "; the same command with --resume reuses the claims it finished",
}


_OS_ADVICE = {
    errno.ENOSPC: "free space on that disk or write elsewhere (--outdir, $WGANLAB_CACHE)",
    errno.EDQUOT: "free space on that disk or write elsewhere (--outdir, $WGANLAB_CACHE)",
    errno.EACCES: "choose a folder you may write to, or fix its permissions",
    errno.EPERM: "choose a folder you may write to, or fix its permissions",
    errno.EROFS: "the file system is read-only: choose another folder (--outdir)",
    errno.ENOTDIR: "a part of the path is a file, not a folder: check the path",
    errno.EISDIR: "the path is a folder where a file was expected: check the path",
    errno.ENOENT: "a folder on the path does not exist: check the path",
    errno.ENAMETOOLONG: "the path is too long: choose a shorter one",
}


def _rank() -> int | None:
    """This process's rank under torchrun (with more than one process), else None."""
    import os

    return int(os.environ.get("RANK", "0")) if int(os.environ.get("WORLD_SIZE", "1")) > 1 else None


def _where() -> str:
    rank = _rank()
    return "" if rank is None else f"rank {rank}: "


def _out_of_memory(error: RuntimeError) -> bool:
    text = str(error)
    return type(error).__name__ == "OutOfMemoryError" or "can't allocate memory" in text or "out of memory" in text


def os_error_line(error: OSError) -> str:
    """An operating-system error as one line: what failed, on which path, and what to do."""
    where = " -> ".join(str(name) for name in (error.filename, error.filename2) if name is not None) or "a file"
    advice = _OS_ADVICE.get(error.errno or -1, "check the path, its permissions and the disk")
    return f"{error.strerror or error} ({where}); {advice}"


def _train(args: argparse.Namespace) -> int:
    from wganlab.training import distributed, loop, session
    from wganlab.training.validation import validate

    if args.resume is not None:
        if args.config is not None or args.preset or args.overrides:
            raise UserError("--resume continues a run with its own config; drop CONFIG, --preset and --set")
        if args.dry_run:
            raise UserError("--dry-run does not apply to --resume")
    elif args.dry_run:
        config = configuration.load(args.config, args.preset, args.overrides, args.steps)
        validate(config)
        print(json.dumps(configuration.to_dict(config), indent=2))
        print(_networks(config), file=sys.stderr)  # stdout stays the config's JSON
        return 0
    team = distributed.join()  # under torchrun: every rank trains, rank 0 writes; else one process alone
    folder, finished = None, False
    try:
        if args.resume is not None:
            folder, run, state = session.begin(team, lambda: session.resume(args.resume, args.steps, args.outdir, team))
            if team.main:
                print(f"resuming {folder} at step {state.step} of {run.config.train.steps}")
        else:
            config = configuration.load(args.config, args.preset, args.overrides, args.steps)
            folder, run, state = session.begin(team, lambda: session.start(config, args.outdir, team))
            if team.main:
                processes = f", {team.world} processes" if team.world > 1 else ""
                print(f"run folder {folder}  (preset {config.preset}, {config.train.steps} generator steps{processes})")
        for note in run.notes if team.main else ():
            print(note, file=sys.stderr)
        summary = loop.fit(folder, run, state)
        finished = True
    except (RuntimeError, distributed.RankStopped) as error:
        if team.world == 1 or not (isinstance(error, distributed.RankStopped) or distributed.lost_peers(error)):
            raise
        where = folder if folder is not None else "RUN (the run folder rank 0 names)"
        raise distributed.RankStopped(
            f"lost contact with the other processes (another rank failed, was killed or timed out); every rank has "
            f"stopped: resume with torchrun --nproc_per_node {team.world} -m wganlab train --resume {where}"
        ) from None
    finally:
        distributed.leave(team, finished)
    if team.main:
        print(_report(loop.headline(run, summary.metrics), summary.metrics, summary.generator_steps_per_second))
        print(f"run folder {folder}")
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from wganlab.training import distributed, loop, sweep

    if distributed.launched():
        raise UserError("wganlab sweep runs in one process; launch it without torchrun")
    base = configuration.load(args.config, args.preset, args.overrides, args.steps)
    grid = sweep.parse_grid(args.grid)
    seeds = sweep.parse_seeds(args.seeds) if args.seeds is not None else None
    if args.dry_run:
        plans = sweep.plan(base, grid, seeds)
        for number, group in enumerate(sweep.groups(plans)):
            for index in group:
                print(f"group {number}  {plans[index].label}")
        return 0
    started = sweep.start(base, grid, seeds, args.outdir)
    print(f"sweep folder {started.folder}  ({len(started.members)} runs in {len(started.groups)} batched groups, "
          f"preset {base.preset}, {base.train.steps} generator steps each)")
    done = sweep.fit(started)
    for member in done.members:
        outcome = (f"stopped: {member.stopped}" if member.stopped else loop.headline(member.run, member.metrics))
        print(f"{member.plan.label}  {outcome}  ({member.folder.name})")
    print(f"sweep folder {done.folder}  (compare: wganlab compare {done.folder})")
    return 1 if any(member.stopped for member in done.members) else 0


def _networks(config: configuration.Config) -> str:
    """Both networks with their parameter counts, for data of the config's shape (read from the data if need be)."""
    from wganlab.data.datasets import build_dataset, data_shape, expected_shape
    from wganlab.models.architectures import describe

    shape = expected_shape(config.data) or data_shape(build_dataset(config.data, config.train.seed))
    return describe(config.model, shape)


def _evaluate(args: argparse.Namespace) -> int:
    from wganlab import evaluate as evaluation

    given = {
        "eval.metrics": args.metrics,
        "eval.image_samples": args.samples,
        "eval.extractor": args.extractor,
        "eval.extractor_weights": args.extractor_weights,
    }
    values = {key: value for key, value in given.items() if value is not None}
    if evaluation.is_samples(args.target):
        if not args.data:
            raise UserError(f"{args.target} holds samples: name the real data to compare with, e.g. --data digits")
        data = {"data.name": args.data, "data.root": args.root, "data.split": args.split, "data.stack": args.stack}
        title, headline, metrics = evaluation.evaluate_samples(args.target, data | values, args.reference)
    else:
        title, headline, metrics = evaluation.evaluate_checkpoint(args.target, values, args.reference)
    print(title)
    print(_report(headline, metrics, None))
    return 0


def _stats(args: argparse.Namespace) -> int:
    from wganlab.reference import write_reference

    values = {"data.name": args.data, "data.root": args.root, "data.split": args.split, "data.stack": args.stack,
              "data.crop": args.crop, "data.resize": args.resize, "data.resize_filter": args.resize_filter,
              "data.pad_to": args.pad_to, "eval.extractor": args.extractor,
              "eval.extractor_weights": args.extractor_weights or ""}
    evaluator = write_reference(values, args.out, args.features)
    real = evaluator.real()
    extractor = evaluator.extractor
    print(f"wrote {args.out}: {real.count} images of {evaluator.real_label()}, {extractor.name} features "
          f"(weights {extractor.weights_id}){', every feature kept' if args.features else ''}")
    return 0


def _sample(args: argparse.Namespace) -> int:
    from wganlab.sample import Request, sample

    request = Request(args.count, args.seed, args.raw, args.out, args.grid)
    snapshot, count, seed = sample(args.target, request)
    generator = "generator" if args.raw or snapshot.generator_ema is None else "EMA generator"
    written = " and ".join(str(path) for path in (args.out, args.grid) if path is not None)
    print(f"wrote {count} images of {snapshot.folder} at step {snapshot.step} ({generator}, seed {seed}) to {written}")
    return 0


def _classifier_train(args: argparse.Namespace) -> int:
    from wganlab.data.images import load_images
    from wganlab.models.classifier import save_classifier
    from wganlab.training.classifier import train_classifier

    data = load_images(args.data, args.root or None, split="train", resize=args.resize, pad_to=args.pad_to)
    if data.labels is None:
        raise UserError(f"{args.data} at {data.source} has no labels: a classifier needs labelled images")
    model, report = train_classifier(data.images, data.labels, epochs=args.epochs, seed=args.seed)
    report |= {"data": args.data, "source": data.source}
    save_classifier(args.out, model, report)
    print(f"held-out accuracy {report['held_out_accuracy']:.4f} on {report['held_out_size']} images")
    print(f"wrote {args.out}; use it with --set eval.extractor=classifier --set eval.extractor_weights={args.out}")
    return 0


def _diagnose(args: argparse.Namespace) -> int:
    from wganlab.diagnose import diagnose

    diagnosis = diagnose(args.target)
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


def _report_run(args: argparse.Namespace) -> int:
    from wganlab.diagnose import diagnosis_or_reason
    from wganlab.reports.run_report import write_run_report

    print(f"wrote {write_run_report(args.run, diagnosis_or_reason(args.run), args.out)}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from wganlab.reports.compare import write_comparison

    print(f"wrote {write_comparison(args.runs, args.out)}")
    return 0


def _claims(args: argparse.Namespace) -> int:
    import tempfile
    import time

    from wganlab.claims.context import ClaimContext
    from wganlab.claims.runner import Finished, parse_only, run_claims
    from wganlab.reports.claims_markdown import machine_line, write_claims_report

    numbers = parse_only(args.only)
    seeds = args.seeds if args.seeds is not None else (1 if args.quick else 3)  # a verdict is judged over 3 seeds
    if seeds < 1 or args.jobs < 1:
        raise UserError(f"--seeds and --jobs must be >= 1, got {seeds} and {args.jobs}")
    out = args.out or (Path("claims-quick") if args.quick else Path("docs"))  # a smoke test never replaces docs/
    started = time.perf_counter()
    finished = Finished(out / "claims" / "finished", args.resume)
    if not args.resume and any(finished.folder.glob("claim-*.pickle")):
        print(f"claims an earlier run finished are kept in {finished.folder}: add --resume to reuse them (they are "
              "replaced as this run finishes its claims)", flush=True)
    with tempfile.TemporaryDirectory(prefix="wganlab-claims-") as scratch:
        context = ClaimContext(
            seeds=tuple(range(args.first_seed, args.first_seed + seeds)),
            quick=args.quick,
            figure_dir=out / "claims",
            work_dir=Path(scratch),
            log=lambda line: print(line, flush=True),
        )
        results = run_claims(numbers, context, args.jobs, finished)
    machine = machine_line(time.perf_counter() - started, context.seeds, context.quick, args.jobs)
    path = write_claims_report(results, machine, out)
    finished.clear(numbers)
    for result in results:
        print(f"claim {result.number:>2}: {result.verdict:<13} {result.title}")
    print(f"wrote {path} and {out / 'claims.html'} ({(time.perf_counter() - started) / 60:.1f} minutes)")
    if context.quick:
        print("--quick is a smoke test: every claim ran at sizes too small for its rule, so no verdict was drawn; "
              "run without --quick for the verdicts")
    return 0


def _report(headline: str, metrics: dict[str, float], steps_per_second: float | None) -> str:
    lines = [headline] + [f"  {key} = {value:.6g}" for key, value in metrics.items()]
    if steps_per_second is not None:
        lines.append(f"  generator_steps_per_second = {steps_per_second:.2f}")
    return "\n".join(lines)


def _list(args: argparse.Namespace) -> int:
    from wganlab.training import validation

    for kind, entries in validation.KINDS.items():
        print(f"{kind}:")
        width = max(map(len, entries))
        for name, description in entries.items():
            print(f"  {name:<{width}}  {description}")
    return 0


HANDLERS = {
    "train": _train,
    "sweep": _sweep,
    "evaluate": _evaluate,
    "stats": _stats,
    "sample": _sample,
    "classifier": _classifier_train,
    "diagnose": _diagnose,
    "report": _report_run,
    "compare": _compare,
    "claims": _claims,
    "list": _list,
}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
