"""Quick (smoke-size) claim runs shared by the claim test files: each claim runs once per test session, and claims
that share training runs (8, 10, 11) share them here too."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from wganlab.claims.context import ClaimContext
from wganlab.claims.result import NOT_JUDGED, VERDICTS, ClaimResult
from wganlab.claims.runner import run_claim

PNG = b"\x89PNG\r\n\x1a\n"
TWO_SEEDS = (1, 2, 3, 5, 6, 7, 12)  # cheap claims: run over two seeds, so the per-seed machinery is exercised
CONVERGING = (1, 6)  # checks count only for converged critics: at quick sizes none converges, and none counts


@pytest.fixture(scope="session")
def quick_claim(tmp_path_factory: pytest.TempPathFactory) -> Callable[[int], ClaimResult]:
    """claim number -> its quick result, computed once; contexts (and their memoised runs) shared by seeds."""
    root = tmp_path_factory.mktemp("claims")
    contexts: dict[tuple[int, ...], ClaimContext] = {}
    results: dict[int, ClaimResult] = {}

    def result(number: int) -> ClaimResult:
        seeds = (0, 1) if number in TWO_SEEDS else (0,)
        if seeds not in contexts:
            folder = root / f"seeds-{len(seeds)}"
            contexts[seeds] = ClaimContext(seeds, True, folder / "figures", folder / "runs", log=lambda line: None)
        if number not in results:
            # the experiment itself, with its rule's verdicts: run_claims withholds them at quick sizes (a smoke test),
            # but the rules' logic is what these tests check
            results[number] = run_claim(number, contexts[seeds])
        return results[number]

    return result


def assert_well_formed(result: ClaimResult, number: int) -> None:
    """Every part a report shows is there: prose, one outcome per seed with its numbers, tables, PNG figures."""
    seeds = [0, 1] if number in TWO_SEEDS else [0]
    verdicts = (*VERDICTS, NOT_JUDGED) if number in CONVERGING else VERDICTS
    assert result.number == number and result.verdict in verdicts
    assert [outcome.seed for outcome in result.outcomes] == seeds
    assert all(outcome.verdict in verdicts and outcome.numbers for outcome in result.outcomes)
    assert result.title and result.source and result.expectation and result.protocol and result.rule
    assert "{" not in result.protocol + result.rule + result.notes  # every template was filled
    assert result.tables and all(len(row) == len(table.headers) for table in result.tables for row in table.rows)
    assert result.figures and all(Path(figure).read_bytes()[:8] == PNG for figure in result.figures)
    assert all(Path(figure).stat().st_size < 150_000 for figure in result.figures)
    assert result.seconds > 0
