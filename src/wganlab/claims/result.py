"""What a claim experiment returns: its expectation, the numbers it measured, and a verdict by a stated rule."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Verdict = Literal["holds", "does not hold", "mixed", "not judged"]
VERDICTS: tuple[Verdict, ...] = ("holds", "does not hold", "mixed")  # what a full-size run concludes
NOT_JUDGED: Verdict = "not judged"  # a smoke test's (claims --quick): its sizes make a verdict meaningless
Cell = str | float | int | None  # None: not measured


@dataclass(frozen=True)
class Table:
    """A table of measured numbers: one header row, then rows of the same length."""

    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]

    def __post_init__(self) -> None:
        for row in self.rows:
            assert len(row) == len(self.headers), f"row {row} does not match headers {self.headers}"


@dataclass(frozen=True)
class SeedOutcome:
    """One seed's measurement: its verdict and the numbers that decided it (name -> value)."""

    seed: int
    verdict: Verdict
    numbers: dict[str, float]
    checks: dict[str, bool] = field(default_factory=dict)  # the rule's checks by name, where the claim names them


@dataclass(frozen=True)
class Pooled:
    """A verdict drawn from every seed's numbers together: for a claim about what happens on average over seeds
    (e.g. "quality is best at an intermediate c"), where one lucky seed says little. The rule pools by a stated
    statistic (e.g. the median over seeds) and applies its checks once."""

    verdict: Verdict
    numbers: dict[str, float]  # the pooled numbers the checks used
    checks: dict[str, bool]


@dataclass(frozen=True)
class Claim:
    """What a claim says and where it is published: each experiment module's fixed prose, `CLAIM`."""

    number: int
    title: str  # the claim in a few words
    source: str  # where it is published, e.g. "WGAN-GP (Gulrajani et al. 2017), Fig. 1b"
    expectation: str  # what the paper says we should see, in plain words


@dataclass(frozen=True)
class ClaimResult:
    claim: Claim
    protocol: str  # what we ran: data, models, steps, seeds (CPU-sized where the paper's is not)
    rule: str  # how the verdict follows from the numbers, stated before the numbers
    outcomes: tuple[SeedOutcome, ...]  # one per seed
    tables: tuple[Table, ...]  # the numbers behind the verdicts
    figures: tuple[Path, ...]  # PNG files written by the experiment
    notes: str = ""  # anything a reader should know: deviations from the paper, caveats
    seconds: float = 0.0  # the experiment's wall time; the runner measures it
    extra: dict[str, float] = field(default_factory=dict)
    pooled: Pooled | None = None  # set where the rule judges the seeds together; then it gives the verdict

    @property
    def number(self) -> int:
        return self.claim.number

    @property
    def title(self) -> str:
        return self.claim.title

    @property
    def source(self) -> str:
        return self.claim.source

    @property
    def expectation(self) -> str:
        return self.claim.expectation

    @property
    def verdict(self) -> Verdict:
        """The pooled rule's verdict where the claim has one, else the per-seed verdicts combined (`combine`)."""
        if self.pooled is not None:
            return self.pooled.verdict
        return combine([outcome.verdict for outcome in self.outcomes])

    def seed_table(self) -> Table:
        """One row per seed: its verdict and the numbers its rule used (None where a seed lacks one)."""
        names = list(dict.fromkeys(name for outcome in self.outcomes for name in outcome.numbers))
        rows = tuple(
            (o.seed, o.verdict, *(o.numbers.get(name) for name in names)) for o in self.outcomes
        )
        return Table(("seed", "verdict", *names), rows)


def pooled_line(pooled: Pooled | None) -> str:
    """The pooled rule's numbers and checks in one sentence; empty for a claim judged seed by seed."""
    if pooled is None:
        return ""
    numbers = "; ".join(f"{name} {value:.4g}" for name, value in pooled.numbers.items())
    checks = "; ".join(f"{name}: {'passes' if passed else 'fails'}" for name, passed in pooled.checks.items())
    return f"The verdict is the pooled rule's: {pooled.verdict}. Pooled numbers: {numbers}. Checks: {checks}."


def seed_dependence(outcomes: Sequence[SeedOutcome], pooled: bool = False) -> str:
    """Where the verdict changes with the seed, a sentence saying so and which of the rule's checks moved (from
    the checks a claim names; otherwise the per-seed numbers are the evidence); empty when every seed agrees."""
    verdicts = {outcome.verdict for outcome in outcomes}
    if len(verdicts) < 2 or NOT_JUDGED in verdicts:
        return ""
    lead = "Judged seed by seed, the verdict would change with the seed (" if pooled else \
        "The verdict changes with the seed ("
    text = lead + ", ".join(f"{o.seed}: {o.verdict}" for o in outcomes) + ")."
    names = list(dict.fromkeys(name for outcome in outcomes for name in outcome.checks))
    moved = []
    for name in names:
        passed = [o.seed for o in outcomes if o.checks.get(name) is True]
        failed = [o.seed for o in outcomes if o.checks.get(name) is False]
        if passed and failed:
            moved.append(f"'{name}' passes on seed{'s' if len(passed) > 1 else ''} {', '.join(map(str, passed))} "
                         f"and fails on {', '.join(map(str, failed))}")
    if moved:
        return f"{text} Checks that differ between seeds: {'; '.join(moved)}. The per-seed table gives the numbers."
    return f"{text} The per-seed table gives the numbers each seed's checks used."


def over_seeds(result: ClaimResult) -> str:
    """What a reader should know about the seeds: whether the verdict changes with them, and the pooled rule's
    numbers where the claim judges them together; empty when neither applies."""
    return " ".join(part for part in (seed_dependence(result.outcomes, result.pooled is not None),
                                         pooled_line(result.pooled)) if part)


def combine(verdicts: Sequence[Verdict]) -> Verdict:
    """Over seeds: holds if every seed holds, does not hold if none does, mixed otherwise."""
    if not verdicts:
        raise ValueError("no verdicts to combine")
    if NOT_JUDGED in verdicts:
        return NOT_JUDGED
    if all(verdict == "holds" for verdict in verdicts):
        return "holds"
    if all(verdict == "does not hold" for verdict in verdicts):
        return "does not hold"
    return "mixed"


def verdict_of(checks: Sequence[bool] | Mapping[str, bool]) -> Verdict:
    """Within one seed: holds if every check passes, does not hold if none does, mixed otherwise."""
    if isinstance(checks, Mapping):
        checks = list(checks.values())
    if not checks:
        raise ValueError("no checks")
    if all(checks):
        return "holds"
    if not any(checks):
        return "does not hold"
    return "mixed"


def unjudged(result: ClaimResult) -> ClaimResult:
    """A smoke test's result (claims --quick): the numbers kept, every verdict (per seed, and in the claim's own
    tables' "verdict" columns) replaced by "not judged"."""
    outcomes = tuple(dataclasses.replace(outcome, verdict=NOT_JUDGED) for outcome in result.outcomes)
    tables = tuple(
        Table(table.headers, tuple(
            tuple(NOT_JUDGED if header == "verdict" else cell for header, cell in zip(table.headers, row, strict=True))
            for row in table.rows
        ))
        for table in result.tables
    )
    pooled = None if result.pooled is None else dataclasses.replace(result.pooled, verdict=NOT_JUDGED)
    return dataclasses.replace(result, outcomes=outcomes, tables=tables, pooled=pooled)
