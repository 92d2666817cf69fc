"""The claims runner: --only parsing, and each result timed and logged with the claim's own title."""

from __future__ import annotations

import pytest

from wganlab.claims.context import ClaimContext
from wganlab.claims.runner import parse_only, run_claims
from wganlab.errors import UserError


def test_only_parses_claim_numbers_and_refuses_unknown_ones():
    assert parse_only("2, 5,12") == [2, 5, 12]
    assert parse_only(None) == list(range(1, 15))
    for bad in ("15", "two", "0", ","):
        with pytest.raises(UserError):
            parse_only(bad)


def test_each_result_is_timed_and_logged_with_its_title(tmp_path):
    lines: list[str] = []
    context = ClaimContext((0,), True, tmp_path / "figures", tmp_path / "runs", log=lines.append)
    (result,) = run_claims([7], context)
    assert result.number == 7 and result.seconds > 0
    assert lines == [f"[1/1] claim 7: {result.title}", f"    not judged  ({result.seconds:.0f} s)"]
    # --quick is a smoke test: no verdict anywhere, the numbers kept
    assert result.verdict == "not judged" and {o.verdict for o in result.outcomes} == {"not judged"}
    assert all(o.numbers for o in result.outcomes) and result.tables
    for table in result.tables:
        if "verdict" in table.headers:
            assert {row[table.headers.index("verdict")] for row in table.rows} == {"not judged"}
