"""The claims report as Markdown (docs/claims.md, figures linked relatively) beside its HTML page."""

from __future__ import annotations

import os
import platform
from collections.abc import Sequence
from pathlib import Path

import torch

from wganlab.claims.result import ClaimResult, Table, over_seeds
from wganlab.files import write_bytes_atomic
from wganlab.machine import cpu_model
from wganlab.reports.claims_page import claims_html

TITLE = "wganlab: the published claims, measured"
INTRODUCTION = [
    "# The published claims, measured",
    "",
    "Written by `wganlab claims`. Each claim from the papers (REFERENCE.md section 5) is an experiment with",
    "a stated expectation and a rule that turns the measured numbers into a verdict, stated before the",
    "numbers. Over seeds: *holds* if every seed holds, *does not hold* if none does, *mixed* otherwise; a claim",
    "about an average over seeds pools them by a stated statistic instead, and its 'Over seeds' line says so.",
    "A claim that does not hold on our runs is reported as such.",
    "",
]


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value).replace("|", "\\|")


def _markdown_table(table: Table) -> list[str]:
    lines = ["| " + " | ".join(_cell(h) for h in table.headers) + " |", "|" + "---|" * len(table.headers)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in table.rows]
    return lines + [""]


def machine_line(seconds: float, seeds: Sequence[int], quick: bool, jobs: int = 1) -> str:
    mode = "quick (a smoke test at tiny sizes: no verdicts drawn)" if quick else "full"
    threads = torch.get_num_threads()
    how = (f"{threads} thread{'s' if threads > 1 else ''}" if jobs == 1 else
           f"{jobs} processes of {max(1, threads // jobs)} thread{'s' if threads // jobs > 1 else ''} (--jobs {jobs})")
    machine, model = platform.processor() or platform.machine(), cpu_model()
    return (
        f"{machine}{f' {model}' if model else ''}, {os.cpu_count()} CPU cores, torch {torch.__version__} "
        f"({how}); seeds {', '.join(map(str, seeds))}; {mode}; "
        f"{seconds / 60:.1f} minutes in all"
    )


def _claim_section(result: ClaimResult, relative_to: Path) -> list[str]:
    lines = [
        f'<a id="claim-{result.number}"></a>',
        f"## Claim {result.number}: {result.title}: {result.verdict}",
        "",
        f"**Source.** {result.source}",
        "",
        f"**Expectation.** {result.expectation}",
        "",
        f"**Protocol.** {result.protocol}",
        "",
        f"**Rule.** {result.rule}",
        "",
    ]
    for table in (result.seed_table(), *result.tables):
        lines += _markdown_table(table)
    if (dependence := over_seeds(result)):
        lines += [f"**Over seeds.** {dependence}", ""]
    for figure in result.figures:
        lines += [f"![claim {result.number}]({os.path.relpath(figure, relative_to)})", ""]
    if result.notes:
        lines += [f"**Notes.** {result.notes}", ""]
    return lines + [f"Time: {result.seconds:.0f} s.", ""]


def markdown(results: Sequence[ClaimResult], machine: str, relative_to: Path) -> str:
    lines = [*INTRODUCTION, f"Machine and run: {machine}.", "", "| claim | what | verdict | per seed | time |"]
    lines.append("|---|---|---|---|---|")
    for result in results:
        per_seed = ", ".join(f"{o.seed}: {o.verdict}" for o in result.outcomes)
        lines.append(
            f"| [{result.number}](#claim-{result.number}) | {result.title} | **{result.verdict}** | {per_seed} | "
            f"{result.seconds:.0f} s |"
        )
    lines.append("")
    for result in results:
        lines += _claim_section(result, relative_to)
    return "\n".join(lines)


def write_claims_report(results: Sequence[ClaimResult], machine: str, out: Path) -> Path:
    """Write out/claims.md (figures linked relatively) and out/claims.html (figures inline); return the .md."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / "claims.md"
    write_bytes_atomic(path, markdown(results, machine, out).encode())
    write_bytes_atomic(out / "claims.html", claims_html(results, title=TITLE, machine=machine).encode())
    return path
