"""scripts/splice_claims.py: a rerun claim replaces its section, row and figures in a full claims report."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pytest

from wganlab.claims.result import Claim, ClaimResult, SeedOutcome, Table
from wganlab.reports.claims_markdown import write_claims_report

SCRIPT = Path(__file__).parents[2] / "scripts" / "splice_claims.py"


def _report(folder: Path, seeds: tuple[int, ...], verdicts: dict[int, str], value: float) -> Path:
    """A claims report of made-up claims, each with one table cell `value` and one figure named after it."""
    (folder / "claims").mkdir(parents=True)
    results = []
    for number, verdict in verdicts.items():
        figure = folder / "claims" / f"claim-{number:02d}-v{value:g}.png"
        figure.write_bytes(b"\x89PNG\r\n\x1a\n")  # a PNG signature is enough to embed
        results.append(ClaimResult(Claim(number, f"claim {number}, a title", "s", "e"), "p", "r",
                                   tuple(SeedOutcome(seed, verdict, {}) for seed in seeds),
                                   (Table(("value",), ((value,),)),), (figure,)))
    write_claims_report(results, f"x86_64; seeds {', '.join(map(str, seeds))}; full; 1 minutes", folder)
    return folder


def test_a_rerun_claim_replaces_its_section_row_and_figures(tmp_path: Path) -> None:
    main = runpy.run_path(str(SCRIPT))["main"]
    report = _report(tmp_path / "docs", (0, 1), {2: "holds", 8: "mixed", 9: "holds"}, 1.5)
    rerun = _report(tmp_path / "rerun", (0, 1), {8: "holds"}, 7.25)
    before = (report / "claims.md").read_text()
    assert main([str(report), str(rerun)]) == 0
    md, html = (report / "claims.md").read_text(), (report / "claims.html").read_text()
    assert "| [8](#claim-8) | claim 8, a title | **holds** | 0: holds, 1: holds |" in md
    assert md.count("| 7.25 |") == 1 and md.count("| 1.5 |") == 2  # claim 8's table is the rerun's, the others stay
    assert md.split('<a id="claim-8">')[0] == before.split('<a id="claim-8">')[0].replace(
        "1 minutes.", "1 minutes; claim 8 rerun on its own and spliced in: x86_64; seeds 0, 1; full; 1 minutes."
    ).replace("**mixed** | 0: mixed, 1: mixed", "**holds** | 0: holds, 1: holds")
    assert '<p>3 claims: 3 holds.</p>' in html and html.count("<section") == 4
    assert sorted(path.name for path in (report / "claims").iterdir()) == [
        "claim-02-v1.5.png", "claim-08-v7.25.png", "claim-09-v1.5.png"]
    assert not list(report.glob("*.splicing"))


def test_reports_of_other_seeds_are_refused_in_one_line_and_nothing_changes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main = runpy.run_path(str(SCRIPT))["main"]
    report = _report(tmp_path / "docs", (0, 1), {2: "holds", 8: "mixed"}, 1.5)
    before = (report / "claims.md").read_text(), (report / "claims.html").read_text()
    assert main([str(report), str(_report(tmp_path / "other", (3, 4), {8: "holds"}, 2.0))]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "error: the rerun ran 3, 4; full, the report 0, 1; full: splice only runs of the same seeds and sizes"]
    assert main([str(report), str(tmp_path / "missing")]) == 2
    assert ((report / "claims.md").read_text(), (report / "claims.html").read_text()) == before


def test_a_claim_spliced_again_replaces_its_earlier_note(tmp_path: Path) -> None:
    main = runpy.run_path(str(SCRIPT))["main"]
    report = _report(tmp_path / "docs", (0, 1), {2: "holds", 8: "mixed", 9: "holds"}, 1.5)
    both = _report(tmp_path / "both", (0, 1), {8: "holds", 9: "mixed"}, 2.0)
    assert main([str(report), str(both)]) == 0
    (both / "claims.md").write_text((both / "claims.md").read_text().replace("1 minutes", "3 minutes"))
    (both / "claims.html").write_text((both / "claims.html").read_text().replace("1 minutes", "3 minutes"))
    assert main([str(report), str(_report(tmp_path / "eight", (0, 1), {8: "holds"}, 4.0))]) == 0
    notes = "; claims 8, 9 rerun on their own and spliced in: x86_64; seeds 0, 1; full; 1 minutes"
    assert f"1 minutes{notes}; claim 8 rerun on its own and spliced in: x86_64; seeds 0, 1; full; 1 minutes." in (
        report / "claims.md").read_text()  # claim 9's run is still in the report: its note stays
    assert main([str(report), str(both)]) == 0
    for name in ("claims.md", "claims.html"):
        text = (report / name).read_text()
        assert text.count("spliced in") == 1 and "claims 8, 9 rerun on their own and spliced in: x86_64; seeds 0, 1; " \
            "full; 3 minutes" in text


@pytest.mark.parametrize("new", [(5,), (1,), (12,), (1, 5, 12)])
def test_a_claim_the_report_lacks_is_added_in_its_place(tmp_path: Path, new: tuple[int, ...]) -> None:
    """A new claim's section, row and figure go in by number (first, between two, last), laid out as a full run of
    all the claims lays them out; the claims already there are unchanged."""
    main = runpy.run_path(str(SCRIPT))["main"]
    old = {2: "holds", 8: "mixed"}
    report = _report(tmp_path / "docs", (0, 1), old, 1.5)
    rerun = _report(tmp_path / "rerun", (0, 1), dict.fromkeys(new, "holds"), 7.25)
    assert main([str(report), str(rerun)]) == 0
    whole = _report(tmp_path / "whole", (0, 1), dict(sorted((old | dict.fromkeys(new, "holds")).items())), 1.5)
    for name in ("claims.md", "claims.html"):
        spliced = re.sub(r"; claims? [\d, ]+ rerun on (its|their) own and spliced in: [^\n<]*?1 minutes", "",
                         (report / name).read_text())
        assert spliced.replace("7.25", "1.5") == (whole / name).read_text()
    assert sorted(path.name for path in (report / "claims").iterdir()) == sorted(
        [f"claim-{n:02d}-v1.5.png" for n in old] + [f"claim-{n:02d}-v7.25.png" for n in new])


def test_a_report_whose_two_files_disagree_is_refused_in_one_line(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """claims.html already has the claim that claims.md lacks: adding it would make two; nothing changes."""
    main = runpy.run_path(str(SCRIPT))["main"]
    report = _report(tmp_path / "docs", (0, 1), {2: "holds", 8: "mixed"}, 1.5)
    (report / "claims.html").write_text((_report(tmp_path / "more", (0, 1), {2: "holds", 5: "holds", 8: "mixed"},
                                                 1.5) / "claims.html").read_text())
    before = (report / "claims.md").read_text(), (report / "claims.html").read_text()
    assert main([str(report), str(_report(tmp_path / "new", (0, 1), {5: "holds"}, 2.0))]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("error: claim 5's") and "disagree" in line
    assert ((report / "claims.md").read_text(), (report / "claims.html").read_text()) == before
