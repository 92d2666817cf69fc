"""The claims report as one self-contained HTML page: verdicts at a glance, then each claim's evidence.

Figures are inlined from the PNG files the experiments wrote. No matplotlib: the runner imports this.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from wganlab.claims.result import NOT_JUDGED, VERDICTS, ClaimResult, Table, over_seeds
from wganlab.reports import html as h

INTRODUCTION = (
    "Each claim from the papers is an experiment with a stated expectation and a rule, stated before the numbers, "
    "that turns the measured numbers into a verdict. Over seeds: holds if every seed holds, does not hold if none "
    "does, mixed otherwise; a claim about an average over seeds pools them by a stated statistic instead, and says so. "
    "A claim that does not hold on our runs is reported as such."
)


def verdict_badge(verdict: str) -> h.Markup:
    return h.badge(verdict, verdict.replace(" ", "-"))


def claims_html(results: Sequence[ClaimResult], title: str, machine: str) -> str:
    """The whole page: a summary table of verdicts, then per claim its source, rule, numbers and figures."""
    counts = [f"{sum(r.verdict == v for r in results)} {v}" for v in (*VERDICTS, NOT_JUDGED)
              if any(r.verdict == v for r in results)]
    summary = h.section(
        "Verdicts",
        h.paragraph(INTRODUCTION),
        h.paragraph(
            f"{len(results)} claim{'s' if len(results) > 1 else ''}: {', '.join(counts)}."
            if results
            else "No claim was run."
        ),
        summary_table(results),
        anchor="verdicts",
    )
    body = [summary, *(claim_section(result) for result in results)]
    navigation = [("Verdicts", "verdicts")] + [(f"Claim {r.number}", f"claim-{r.number}") for r in results]
    return h.page(title, machine, *body, navigation=navigation)


def summary_table(results: Sequence[ClaimResult]) -> h.Markup:
    rows = [
        (
            h.tag("a", str(result.number), href=f"#claim-{result.number}"),
            result.title,
            verdict_badge(result.verdict),
            h.join(h.join([f"{o.seed}: ", verdict_badge(o.verdict), " "]) for o in result.outcomes),
            f"{result.seconds:.0f} s",
        )
        for result in results
    ]
    classes = [result.verdict.replace(" ", "-") for result in results]
    return h.table(("claim", "what", "verdict", "per seed", "time"), rows, row_classes=classes)


def seed_table(result: ClaimResult) -> h.Markup:
    """One row per seed: its verdict and the numbers the rule used (scrolling sideways on its own when wide)."""
    table = result.seed_table()
    rows = [(seed, verdict_badge(verdict), *numbers) for seed, verdict, *numbers in table.rows]
    return h.tag("div", h.table(table.headers, rows, caption="Per seed"), class_="scroll")


def measured_table(table: Table) -> h.Markup:
    """A claim's table, scrolling sideways on its own when it is wider than the page (claim 8's has 13 columns)."""
    return h.tag("div", h.table(table.headers, table.rows), class_="scroll")


def figure(path: Path, number: int) -> h.Markup:
    """The PNG inline, or a note when the file is missing or is not a PNG."""
    try:
        data = path.read_bytes()
        return h.image(data, f"claim {number}: {path.name}")
    except (OSError, ValueError) as error:
        return h.paragraph(f"Figure {path} could not be included: {error}", class_="muted")


def claim_section(result: ClaimResult) -> h.Markup:
    heading = h.tag("h2", f"Claim {result.number}: {result.title}", verdict_badge(result.verdict))
    parts: list[object] = [
        heading,
        h.fields(
            [
                ("Source", result.source),
                ("Expectation", result.expectation),
                ("Protocol", result.protocol),
                ("Rule", result.rule),
            ]
        ),
        seed_table(result),
        *([h.fields([("Over seeds", dependence)])] if (dependence := over_seeds(result)) else []),
        *(measured_table(table) for table in result.tables),
        *(figure(path, result.number) for path in result.figures),
    ]
    if result.extra:
        parts.append(h.key_values(result.extra.items(), caption="Other numbers"))
    if result.notes:
        parts.append(h.fields([("Notes", result.notes)]))
    parts.append(h.paragraph(f"Time: {result.seconds:.0f} s.", class_="muted"))
    return h.tag("section", *parts, id=f"claim-{result.number}", class_="claim")
