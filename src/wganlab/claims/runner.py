"""Run the claim experiments, timing each; the reports package turns the results into docs/claims.md and HTML."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence

from wganlab.claims.catalogue import CLAIMS, experiment
from wganlab.claims.context import ClaimContext
from wganlab.claims.result import ClaimResult
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
        module = experiment(number)
        context.log(f"[{position}/{len(numbers)}] claim {number}: {module.CLAIM.title}")
        started = time.perf_counter()
        result = dataclasses.replace(module.run(context), seconds=time.perf_counter() - started)
        context.log(f"    {result.verdict}  ({result.seconds:.0f} s)")
        results.append(result)
    return results
