"""One self-contained HTML report of a run folder: config, final metrics, curves, samples, diagnostics, findings.

Everything is rebuilt from what the run wrote (config.json, stats.jsonl, metrics.jsonl, diagnostics.jsonl,
summary.json, figures/) plus a fresh diagnostic probe of its latest checkpoint.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wganlab import rundir
from wganlab.diagnose import Diagnosis, diagnose, read_history
from wganlab.diagnostics.tracking import quality_metric
from wganlab.errors import UserError
from wganlab.reports import curves
from wganlab.reports import html as h
from wganlab.reports.protocol import diagnostic_note, metric_note

Record = dict[str, Any]
SAMPLE_FIGURES = 6  # sample evolution: this many evaluation figures, first to last
_FIGURE_STEP = re.compile(r"eval-(\d+)\.png$")


@dataclass(frozen=True)
class RunData:
    """What a run folder holds, read once."""

    folder: Path
    config: Record
    stats: list[Record]
    metrics: list[Record]
    diagnostics: list[Record]
    summary: Record | None
    figures: list[tuple[int, Path]]  # (step, eval-NNNNNNN.png), oldest first

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def quality_key(self) -> str | None:
        return quality_metric(self.metrics)

    @property
    def final_metrics(self) -> Record:
        """The last evaluation's numbers (summary.json's when the run finished), without step and protocol."""
        if self.summary and self.summary.get("metrics"):
            return dict(self.summary["metrics"])
        last = self.metrics[-1] if self.metrics else {}
        return {k: v for k, v in last.items() if k not in ("step", "protocol")}

    @property
    def protocol(self) -> Record | None:
        return next((r["protocol"] for r in reversed(self.metrics) if isinstance(r.get("protocol"), dict)), None)

    @property
    def step(self) -> int:
        steps = [int(r["step"]) for r in self.stats + self.metrics] + [int((self.summary or {}).get("step", 0))]
        return max(steps)


def read_run(folder: Path) -> RunData:
    """Read a run folder made by `wganlab train`; a folder without config.json is a user error."""
    history = read_history(folder)
    summary_path = folder / rundir.SUMMARY
    found = [(_FIGURE_STEP.search(path.name), path) for path in (folder / rundir.FIGURES).glob("eval-*.png")]
    return RunData(
        folder=folder,
        config=history.config,
        stats=list(history.stats),
        metrics=list(history.metrics),
        diagnostics=list(history.diagnostics),
        summary=json.loads(summary_path.read_text()) if summary_path.is_file() else None,
        figures=sorted((int(match.group(1)), path) for match, path in found if match),
    )


def write_run_report(folder: Path, out: Path | None = None) -> Path:
    """Write the run's report (default folder/report.html) atomically; return its path."""
    out = out if out is not None else folder / "report.html"
    rundir.atomic_write_bytes(out, run_report_html(folder).encode())
    return out


def run_report_html(folder: Path, diagnosis: Diagnosis | None = None) -> str:
    """The report as one HTML string; diagnoses the latest checkpoint unless a diagnosis is given."""
    run = read_run(folder)
    diagnosis_body = diagnostics_section_body(run, diagnosis if diagnosis is not None else _diagnose(folder))
    sections = [
        ("Summary", "summary", summary_body(run)),
        ("Curves", "curves", curves_body(run)),
        ("Samples over training", "samples", samples_body(run)),
        ("Diagnostics and findings", "diagnostics", diagnosis_body),
        ("Configuration", "config", config_body(run.config)),
    ]
    subtitle = f"wganlab run report: preset {run.config.get('preset', '?')}, {run.step} generator steps, {run.folder}"
    body = [h.section(title, content, anchor=anchor) for title, anchor, content in sections]
    return h.page(run.name, subtitle, *body, navigation=[(title, anchor) for title, anchor, _ in sections])


def _diagnose(folder: Path) -> Diagnosis | str:
    """A fresh diagnosis, or the one-line reason there is none."""
    try:
        return diagnose(folder)
    except UserError as error:
        return str(error)


def summary_body(run: RunData) -> h.Markup:
    config, summary = run.config, run.summary or {}
    objective = config.get("objective", {})
    method = []
    if objective.get("penalty", "none") != "none":
        method.append(f"penalty {objective['penalty']}, weight {h.number(objective.get('penalty_weight', '?'))}")
    if objective.get("constraint", "none") == "clip":
        method.append(f"clip c = {h.number(objective.get('clip_value', '?'))}")
    elif objective.get("constraint", "none") != "none":
        method.append(str(objective["constraint"]))
    facts: list[tuple[str, object]] = [
        ("data", config.get("data", {}).get("name", "?")),
        ("model", f"{config.get('model', {}).get('arch', '?')} width {config.get('model', {}).get('width', '?')}"),
        ("objective", f"{objective.get('loss', '?')}" + (f" ({'; '.join(method)})" if method else "")),
        ("steps", f"{run.step} of {config.get('train', {}).get('steps', '?')}"),
    ]
    if summary:
        facts += [
            ("training time", f"{summary.get('run_train_seconds', 0.0):.1f} s"),
            ("speed", f"{summary.get('generator_steps_per_second', 0.0):.1f} generator steps/s"),
            ("threads, torch", f"{summary.get('threads', '?')}, {summary.get('torch', '?')}"),
        ]
    else:
        facts.append(("status", "no summary.json: the run has not finished (or was interrupted)"))
    protocol = h.key_values(run.protocol.items(), caption="Image metric protocol") if run.protocol else ""
    return h.join([tag_grid(h.key_values(facts, caption="Run"), protocol), metrics_body(run)])


def tag_grid(*children: object) -> h.Markup:
    return h.tag("div", *children, class_="grid")


def metrics_body(run: RunData) -> h.Markup:
    final = run.final_metrics
    if not final:
        return h.paragraph("No evaluation was recorded.", class_="muted")
    imaging = run.protocol is not None
    rows = [(h.tag("code", key), value, metric_note(key, imaging)) for key, value in final.items()]
    return h.table(("metric", "final value", "what it measures"), rows, caption="Final metrics")


def curves_body(run: RunData) -> h.Markup:
    if not run.stats and not run.metrics:
        return h.paragraph("No training statistics were recorded.", class_="muted")
    caption = (
        "Left: losses and the critic's estimate. Right: the quality metric (lower is better) with the critic's "
        "estimate on its own axis: for a WGAN both should fall together."
    )
    return h.image(curves.training_curves(run.stats, run.metrics, run.quality_key), "training curves", caption)


def spread(items: list[Any], count: int) -> list[Any]:
    """`count` items evenly spread from the first to the last (all of them when there are fewer)."""
    if len(items) <= count:
        return list(items)
    indices = sorted({round(i * (len(items) - 1) / (count - 1)) for i in range(count)})
    return [items[i] for i in indices]


def samples_body(run: RunData) -> h.Markup:
    chosen = spread(run.figures, SAMPLE_FIGURES)
    if not chosen:
        return h.paragraph("No evaluation figures (eval.figures was off, or no evaluation ran).", class_="muted")
    figures = [h.image(path.read_bytes(), f"step {step}", f"step {step}", width=360) for step, path in chosen]
    note = f"{len(chosen)} of {len(run.figures)} evaluation figures, first to last (figures/)."
    return h.join([h.paragraph(note, class_="muted"), h.gallery(figures)])


def findings_body(findings: list[Any]) -> h.Markup:
    """Each finding as a box, warnings first: title, message and the evidence that made it fire."""
    if not findings:
        return h.paragraph("No findings: no diagnostic rule fired.", class_="muted")
    ordered = sorted(findings, key=lambda finding: finding.severity != "warning")
    boxes = [
        h.tag(
            "div",
            h.tag("h3", h.badge(finding.severity, finding.severity), " ", finding.title),
            h.paragraph(finding.message),
            h.paragraph("Evidence: ", finding.evidence, class_="evidence"),
            class_=f"finding {finding.severity}",
        )
        for finding in ordered
    ]
    return h.join(boxes)


def diagnostics_section_body(run: RunData, diagnosis: Diagnosis | str) -> h.Markup:
    """Findings, the fresh probe of the latest checkpoint, its per-layer gradient norms, diagnostics over steps."""
    parts: list[object] = []
    if isinstance(diagnosis, str):
        parts.append(h.paragraph(f"No fresh diagnosis: {diagnosis}", class_="muted"))
    else:
        parts += [h.tag("h3", "Findings"), findings_body(list(diagnosis.findings))]
        if diagnosis.tracking is not None:
            tracking = diagnosis.tracking
            parts.append(
                h.paragraph(
                    f"Spearman rank correlation of the critic's estimate with {tracking.metric} over "
                    f"{tracking.evaluations} evaluations: {h.number(tracking.rho)} (+1: the estimate falls exactly "
                    "as quality improves).",
                    class_="muted",
                )
            )
        parts.append(probe_body(diagnosis.probe, diagnosis.step))
    figure = curves.diagnostics_curves(run.diagnostics)
    if figure is not None:
        parts += [h.tag("h3", "Diagnostics over training (diagnostics.jsonl)"), h.image(figure, "diagnostics curves")]
    return h.join(parts)


def probe_body(probe: Record, step: int) -> h.Markup:
    if not probe:
        return h.paragraph("The run has no checkpoint to probe.", class_="muted")
    scalars = [
        (h.tag("code", k), v, diagnostic_note(k)) for k, v in probe.items() if k != "step" and not isinstance(v, list)
    ]
    parts = [
        h.tag("h3", f"Probe of the checkpoint at step {step}"),
        h.table(("diagnostic", "value", "what it measures"), scalars),
    ]
    norms = probe.get("gradients/layer_norms")
    if isinstance(norms, list) and norms:
        rows = [(index, norm) for index, norm in enumerate(norms, start=1)]
        parts.append(
            tag_grid(
                h.table(("layer", "gradient norm"), rows, caption="Per-layer gradient norms"),
                h.image(
                    curves.layer_norms_figure(norms),
                    "per-layer gradient norms",
                    diagnostic_note("gradients/layer_norms"),
                ),
            )
        )
    return h.join(parts)


def config_body(config: Record) -> h.Markup:
    """One name/value table per config section, side by side."""
    tables = [h.key_values([("preset", config.get("preset", "?"))], caption="preset")]
    for section, values in config.items():
        if isinstance(values, dict):
            tables.append(h.key_values([(key, _config_value(v)) for key, v in values.items()], caption=section))
    return tag_grid(*tables)


def _config_value(value: object) -> object:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, str) and not value:
        return '""'
    return value
