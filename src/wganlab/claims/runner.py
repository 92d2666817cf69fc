"""Run the claim experiments, timing each; the reports package turns the results into docs/claims.md and HTML."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence

from wganlab.claims.catalogue import CLAIMS, experiment
from wganlab.claims.context import ClaimContext
from wganlab.claims.result import ClaimResult, unjudged
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


def run_claim(number: int, context: ClaimContext) -> ClaimResult:
    """One claim's experiment, timed, with its rule's verdicts (run_claims withholds them at --quick sizes)."""
    started = time.perf_counter()
    return dataclasses.replace(experiment(number).run(context), seconds=time.perf_counter() - started)


def run_claims(numbers: Sequence[int], context: ClaimContext) -> list[ClaimResult]:
    """Run each claim; under --quick (smoke-test sizes) every verdict is "not judged": the code ran, nothing more."""
    results = []
    for position, number in enumerate(numbers, start=1):
        context.log(f"[{position}/{len(numbers)}] claim {number}: {experiment(number).CLAIM.title}")
        result = run_claim(number, context)
        if context.quick:
            result = unjudged(result)
        context.log(f"    {result.verdict}  ({result.seconds:.0f} s)")
        results.append(result)
    return results
