"""One self-contained HTML report of a run folder: config, final metrics, curves, samples, diagnostics, findings.

Everything is rebuilt from what the run wrote (config.json, stats.jsonl, metrics.jsonl, diagnostics.jsonl,
summary.json, figures/) and a diagnosis the caller made (`wganlab report` probes the latest checkpoint afresh).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wganlab import config as configuration
from wganlab.config import Config
from wganlab.diagnostics.diagnosis import Diagnosis
from wganlab.diagnostics.findings import Finding, run_stopping
from wganlab.diagnostics.probe import ProbeRecord
from wganlab.diagnostics.tracking import quality_metric
from wganlab.files import write_bytes_atomic
from wganlab.reports import curves
from wganlab.reports import html as h
from wganlab.reports.protocol import diagnostic_note, metric_note
from wganlab.runlogs import RunLogs, read_run

SAMPLE_FIGURES = 6  # sample evolution: this many evaluation figures, first to last


def write_run_report(folder: Path, diagnosis: Diagnosis | str, out: Path | None = None) -> Path:
    """Write the run's report (default folder/report.html) atomically; return its path."""
    out = out if out is not None else folder / "report.html"
    write_bytes_atomic(out, run_report_html(folder, diagnosis).encode())
    return out


def run_report_html(folder: Path, diagnosis: Diagnosis | str) -> str:
    """The report as one HTML string; `diagnosis` is the run's, or the one-line reason there is none."""
    run = read_run(folder)
    diagnosis_body = diagnostics_section_body(run, diagnosis)
    sections = [
        ("Summary", "summary", summary_body(run)),
        ("Curves", "curves", curves_body(run)),
        ("Samples over training", "samples", samples_body(run)),
        ("Diagnostics and findings", "diagnostics", diagnosis_body),
        ("Configuration", "config", config_body(run.config)),
    ]
    subtitle = f"wganlab run report: preset {run.config.preset}, {run.step} generator steps, {run.folder}"
    body = [h.section(title, content, anchor=anchor) for title, anchor, content in sections]
    return h.page(run.name, subtitle, *body, navigation=[(title, anchor) for title, anchor, _ in sections])


def method_text(config: Config) -> str:
    """The objective in words: the loss, then its penalty and weight or its constraint."""
    objective, method = config.objective, []
    if objective.penalty != "none":
        weight = h.number(objective.penalty_weight)
        if objective.penalty_decay != "none":  # R3GAN's gamma: say where the weight ends
            weight += f" -> {h.number(objective.penalty_weight * objective.penalty_final)} ({objective.penalty_decay})"
        method.append(f"penalty {objective.penalty}, weight {weight}")
    if objective.constraint == "clip":
        method.append(f"clip c = {h.number(objective.clip_value)}")
    elif objective.constraint != "none":
        method.append(objective.constraint)
    return objective.loss + (f" ({'; '.join(method)})" if method else "")


def summary_body(run: RunLogs) -> h.Markup:
    config, summary = run.config, run.summary or {}
    facts: list[tuple[str, object]] = [
        ("data", config.data.name),
        ("model", f"{config.model.arch} width {config.model.width}"),
        ("objective", method_text(config)),
        ("steps", f"{run.step} of {config.train.steps}"),
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


def metrics_body(run: RunLogs) -> h.Markup:
    final = run.final_metrics
    if not final:
        return h.paragraph("No evaluation was recorded.", class_="muted")
    imaging = run.protocol is not None
    rows = [(h.tag("code", key), value, metric_note(key, imaging)) for key, value in final.items()]
    return h.table(("metric", "final value", "what it measures"), rows, caption="Final metrics")


def curves_body(run: RunLogs) -> h.Markup:
    if not run.stats and not run.metrics:
        return h.paragraph("No training statistics were recorded.", class_="muted")
    caption = (
        "Left: losses and the critic's estimate. Right: the quality metric (lower is better) with the critic's "
        "estimate on its own axis: for a WGAN both should fall together."
    )
    stopping = run_stopping(run)
    if stopping is not None:
        caption += (
            " The solid line marks where it was safe to stop (in hindsight: no later window of evaluations was "
            "better beyond the metric's noise), the star the best evaluation (its checkpoint is kept as "
            "checkpoints/best-*.pt), the dashed line where the plateau rule fires (train.stop_on_plateau stops "
            "there), the dotted line where the critic's estimate levelled off by the same rule."
        )
    quality_key = quality_metric(run.metrics)
    figure = curves.training_curves(run.stats, run.metrics, quality_key, stopping)
    return h.image(figure, "training curves", caption)


def spread(items: list[Any], count: int) -> list[Any]:
    """`count` items evenly spread from the first to the last (all of them when there are fewer)."""
    if len(items) <= count:
        return list(items)
    indices = sorted({round(i * (len(items) - 1) / (count - 1)) for i in range(count)})
    return [items[i] for i in indices]


def samples_body(run: RunLogs) -> h.Markup:
    chosen = spread(run.figures, SAMPLE_FIGURES)
    if not chosen:
        return h.paragraph("No evaluation figures (eval.figures was off, or no evaluation ran).", class_="muted")
    figures = [h.image(path.read_bytes(), f"step {step}", f"step {step}", width=360) for step, path in chosen]
    note = f"{len(chosen)} of {len(run.figures)} evaluation figures, first to last (figures/)."
    return h.join([h.paragraph(note, class_="muted"), h.gallery(figures)])


def findings_body(findings: list[Finding]) -> h.Markup:
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


def diagnostics_section_body(run: RunLogs, diagnosis: Diagnosis | str) -> h.Markup:
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


def probe_body(probe: ProbeRecord, step: int) -> h.Markup:
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


def config_body(config: Config) -> h.Markup:
    """One name/value table per config section, side by side."""
    tables = [h.key_values([("preset", config.preset)], caption="preset")]
    for section, values in configuration.to_dict(config).items():
        if isinstance(values, dict):
            tables.append(h.key_values([(key, _config_value(v)) for key, v in values.items()], caption=section))
    return tag_grid(*tables)


def _config_value(value: object) -> object:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, str) and not value:
        return '""'
    return value
