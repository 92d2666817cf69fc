"""scripts/compare_verdicts.py: which claims' verdicts moved between two claims reports."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

from wganlab.claims.result import Claim, ClaimResult, SeedOutcome
from wganlab.reports.claims_markdown import markdown

SCRIPT = Path(__file__).parents[2] / "scripts" / "compare_verdicts.py"


def _report(folder: Path, seeds: tuple[int, ...], verdicts: dict[int, str]) -> Path:
    results = [ClaimResult(Claim(n, f"claim {n}, a title", "s", "e"), "p", "r",
                           tuple(SeedOutcome(seed, verdict, {}) for seed in seeds), (), ())
               for n, verdict in verdicts.items()]
    folder.mkdir()
    path = folder / "claims.md"
    path.write_text(markdown(results, f"x86_64; seeds {', '.join(map(str, seeds))}; full; 1 minutes", folder))
    return path


def test_a_moved_verdict_is_named_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main = runpy.run_path(str(SCRIPT))["main"]
    first = _report(tmp_path / "a", (0, 1, 2), {2: "holds", 4: "mixed", 7: "holds"})
    second = _report(tmp_path / "b", (3, 4, 5), {2: "holds", 4: "holds", 9: "holds"})
    assert main([str(first), str(second)]) == 1
    out = capsys.readouterr().out
    assert "| 4 | claim 4, a title | **mixed** | 0: mixed, 1: mixed, 2: mixed | **holds** |" in out
    assert "| 2 | claim 2, a title | **holds** |" in out and out.count("not run in both") == 2
    assert "1 of 2 claims run in both have the same verdict; moved: 4." in out
    assert main([str(first), str(first)]) == 0


def test_a_file_that_is_not_a_claims_report_is_one_line_and_exit_2(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    main = runpy.run_path(str(SCRIPT))["main"]
    other = tmp_path / "notes.md"
    other.write_text("# notes\n")
    with pytest.raises(SystemExit) as stop:
        main([str(other), str(tmp_path / "missing.md")])
    assert stop.value.code == 2
    assert capsys.readouterr().err.startswith(f"error: {other} has no summary table of verdicts")
