"""Run the claim experiments and write the claims report: Markdown (docs/claims.md) and one HTML file."""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Sequence
from pathlib import Path

import torch

from wganlab import rundir
from wganlab.claims.catalogue import CLAIMS, experiment
from wganlab.claims.context import ClaimContext
from wganlab.claims.result import ClaimResult, Table
from wganlab.errors import UserError


def parse_only(text: str | None) -> list[int]:
    """'2,5,12' -> [2, 5, 12]; None -> every claim."""
    if not text:
        return sorted(CLAIMS)
    try:
        numbers = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise UserError(f"--only takes claim numbers separated by commas (e.g. 2,5,12), got {text!r}") from None
    unknown = [n for n in numbers if n not in CLAIMS]
    if unknown or not numbers:
        raise UserError(f"--only: no claim {unknown or text!r}; the claims are numbered 1 to {max(CLAIMS)}")
    return numbers


def run_claims(numbers: Sequence[int], context: ClaimContext) -> list[ClaimResult]:
    results = []
    for position, number in enumerate(numbers, start=1):
        context.log(f"[{position}/{len(numbers)}] claim {number}: {CLAIMS[number][1]}")
        started = time.perf_counter()
        result = experiment(number)(context)
        context.log(f"    {result.verdict}  ({time.perf_counter() - started:.0f} s)")
        results.append(result)
    return results


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


def machine_line(seconds: float, context: ClaimContext) -> str:
    mode = "quick (smoke-test sizes; verdicts not meaningful)" if context.quick else "full"
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores, torch {torch.__version__} "
        f"({torch.get_num_threads()} threads); seeds {', '.join(map(str, context.seeds))}; {mode}; "
        f"{seconds / 60:.1f} minutes in all"
    )


def markdown(results: Sequence[ClaimResult], context: ClaimContext, seconds: float, relative_to: Path) -> str:
    lines = [
        "# The published claims, measured",
        "",
        "Written by `wganlab claims`. Each claim from the papers (REFERENCE.md section 5) is an experiment with",
        "a stated expectation and a rule that turns the measured numbers into a verdict, stated before the",
        "numbers. Over seeds: *holds* if every seed holds, *does not hold* if none does, *mixed* otherwise.",
        "A claim that does not hold on our runs is reported as such.",
        "",
        f"Machine and run: {machine_line(seconds, context)}.",
        "",
        "| claim | what | verdict | per seed | time |",
        "|---|---|---|---|---|",
    ]
    for result in results:
        per_seed = ", ".join(f"{o.seed}: {o.verdict}" for o in result.outcomes)
        lines.append(
            f"| [{result.number}](#claim-{result.number}) | {result.title} | **{result.verdict}** | {per_seed} | "
            f"{result.seconds:.0f} s |"
        )
    lines.append("")
    for result in results:
        lines += [
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
        for figure in result.figures:
            lines += [f"![claim {result.number}]({os.path.relpath(figure, relative_to)})", ""]
        if result.notes:
            lines += [f"**Notes.** {result.notes}", ""]
        lines += [f"Time: {result.seconds:.0f} s.", ""]
    return "\n".join(lines)


def write_report(results: Sequence[ClaimResult], context: ClaimContext, seconds: float, out: Path) -> Path:
    """Write out/claims.md (figures linked relatively) and out/claims.html (figures inline); return the .md."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / "claims.md"
    rundir.atomic_write_bytes(path, markdown(results, context, seconds, out).encode())
    from wganlab.reports.claims_page import claims_html  # matplotlib-free HTML assembly

    html = claims_html(results, title="wganlab: the published claims, measured", machine=machine_line(seconds, context))
    rundir.atomic_write_bytes(out / "claims.html", html.encode())
    return path
