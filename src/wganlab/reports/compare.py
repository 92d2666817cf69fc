"""Several runs side by side in one HTML page (e.g. a sweep over the clip value c).

What differs in their configs, their final metrics, overlaid curves of the quality metric and the critic's
estimate, and the last evaluation figure of each.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from wganlab import config as configuration
from wganlab.diagnostics.tracking import quality_metric, run_tracking
from wganlab.errors import UserError
from wganlab.files import write_bytes_atomic
from wganlab.reports import curves
from wganlab.reports import html as h
from wganlab.reports.protocol import metric_note
from wganlab.runlogs import RunLogs, expand_sweeps, read_run

LABEL_KEYS = 3  # plot labels name at most this many differing config values


def write_comparison(folders: Sequence[Path], out: Path) -> Path:
    """Write the comparison of the run folders to `out` atomically; return `out`."""
    write_bytes_atomic(out, comparison_html(folders).encode())
    return out


def flatten(config: dict[str, Any]) -> dict[str, object]:
    """{"objective": {"clip_value": 0.01}, "preset": "grid"} -> {"objective.clip_value": 0.01, "preset": "grid"}."""
    flat: dict[str, object] = {}
    for key, value in config.items():
        if isinstance(value, dict):
            flat |= {f"{key}.{inner}": v for inner, v in flatten(value).items()}
        else:
            flat[key] = tuple(value) if isinstance(value, list) else value
    return flat


def differing_config(runs: Sequence[RunLogs]) -> dict[str, list[object]]:
    """Config keys whose values are not the same in every run -> the value in each run (None where absent)."""
    flats = [flatten(configuration.to_dict(run.config)) for run in runs]
    keys = list(dict.fromkeys(key for flat in flats for key in flat))
    values = {key: [flat.get(key) for flat in flats] for key in keys}
    return {key: column for key, column in values.items() if len({repr(v) for v in column}) > 1}


def label(run: RunLogs, differing: dict[str, list[object]], index: int) -> str:
    """The run's name with the first differing config values, e.g. '00001-clip  clip_value=0.1'."""
    shown = [f"{key.split('.')[-1]}={_plain(column[index])}" for key, column in list(differing.items())[:LABEL_KEYS]]
    return "  ".join([run.name, ", ".join(shown)]) if shown else run.name


def _plain(value: object) -> str:
    return _cell_value(value) if isinstance(value, tuple) else h.number(value)


def _cell_value(value: object) -> object:
    """Tuples (betas, metrics) as one comma-separated string; anything else as it is."""
    return ", ".join(str(v) for v in value) if isinstance(value, tuple) else value


def tracking(run: RunLogs) -> float:
    """Spearman rho of the critic's estimate with the quality metric over the run (nan when there is none)."""
    found = run_tracking(run.stats, run.metrics)
    return math.nan if found is None else found.rho


def comparison_html(folders: Sequence[Path]) -> str:
    if not folders:
        raise UserError("nothing to compare: give at least one run folder")
    runs = [read_run(folder) for folder in expand_sweeps(list(folders))]  # a sweep's folder: its members
    differing = differing_config(runs)
    labels = [label(run, differing, index) for index, run in enumerate(runs)]
    sections = [
        ("What differs", "differs", differs_body(runs, differing)),
        ("Final metrics", "metrics", final_metrics_body(runs)),
        ("Curves", "curves", overlay_body(runs, labels)),
        ("Last samples", "samples", last_figures_body(runs, labels)),
    ]
    subtitle = f"wganlab comparison of {len(runs)} runs: " + ", ".join(run.name for run in runs)
    body = [h.section(title, content, anchor=anchor) for title, anchor, content in sections]
    return h.page("Run comparison", subtitle, *body, navigation=[(title, anchor) for title, anchor, _ in sections])


def _runs_table(runs: Sequence[RunLogs], rows: list[tuple[object, ...]], last: str | None = None) -> h.Markup:
    """Rows of (name, value per run[, note]) with one column per run, scrolling sideways when wide."""
    headers = ("", *(run.name for run in runs), *([last] if last else []))
    return h.tag("div", h.table(headers, rows), class_="scroll runs" + (" notes" if last else ""))


def differs_body(runs: Sequence[RunLogs], differing: dict[str, list[object]]) -> h.Markup:
    rows: list[tuple[object, ...]] = [
        (h.tag("code", key), *map(_cell_value, column)) for key, column in differing.items()
    ]
    rows += [("steps done", *(run.step for run in runs)), ("generator steps/s", *map(_speed, runs))]
    note = (
        "Config values that are the same in every run are left out."
        if differing
        else ("The runs share every config value.")
    )
    return h.join([h.paragraph(note, class_="muted"), _runs_table(runs, rows)])


def _speed(run: RunLogs) -> object:
    return round(float(run.summary["generator_steps_per_second"]), 1) if run.summary else None


def final_metrics_body(runs: Sequence[RunLogs]) -> h.Markup:
    """One row per metric (its protocol note last), then how well each run's estimate tracked its quality."""
    finals = [run.final_metrics for run in runs]
    images = any(run.protocol for run in runs)
    keys = list(dict.fromkeys(key for final in finals for key in final))
    rows: list[tuple[object, ...]] = [
        (h.tag("code", key), *(final.get(key) for final in finals), metric_note(key, images)) for key in keys
    ]
    rows.append(
        (
            "rho",
            *map(tracking, runs),
            "Spearman rank correlation of the critic's estimate with the quality metric over the run "
            "(+1: the estimate falls exactly as quality improves)",
        )
    )
    return _runs_table(runs, rows, last="what it measures")


def overlay_body(runs: Sequence[RunLogs], labels: Sequence[str]) -> h.Markup:
    quality_keys = [quality_metric(run.metrics) for run in runs]
    series = [
        curves.Series(name, run.stats, run.metrics, key)
        for name, run, key in zip(labels, runs, quality_keys, strict=True)
    ]
    keys = list(dict.fromkeys(key for key in quality_keys if key))
    title = " / ".join(keys) if keys else None
    caption = f"Left: {title or 'quality'} at each evaluation (lower is better). Right: the critic's estimate."
    if len(keys) > 1:
        caption += " The runs measured quality with different sample counts: compare their levels with care."
    return h.image(curves.overlay_curves(series, title), "overlaid curves", caption)


def last_figures_body(runs: Sequence[RunLogs], labels: Sequence[str]) -> h.Markup:
    figures = []
    for run, name in zip(runs, labels, strict=True):
        if run.figures:
            step, path = run.figures[-1]
            figures.append(h.image(path.read_bytes(), f"{run.name} step {step}", f"{name}, step {step}", width=360))
        else:
            figures.append(h.tag("figure", h.tag("figcaption", f"{name}: no evaluation figure"), style="width: 360px"))
    return h.gallery(figures)
