"""docs/claims.md: the summary table, each claim's prose, tables and figures, and the HTML page beside it."""

from __future__ import annotations

from tests.reports.conftest import png
from wganlab.claims.result import Claim, ClaimResult, SeedOutcome, Table
from wganlab.reports.claims_markdown import machine_line, markdown, write_claims_report


def result(tmp_path) -> ClaimResult:
    figure = tmp_path / "figures" / "claim-02-x.png"
    figure.parent.mkdir(parents=True, exist_ok=True)
    figure.write_bytes(png())
    outcomes = (SeedOutcome(0, "holds", {"span": 12.3456}), SeedOutcome(1, "does not hold", {"span": 0.5}))
    return ClaimResult(
        Claim(2, "clipping | gradients", "WGAN-GP Fig. 1b", "explode or vanish"),
        protocol="12 layers",
        rule="span >= 3",
        outcomes=outcomes,
        tables=(Table(("critic", "norm"), (("clip | 0.1", 1.23456e-7), ("GP", None))),),
        figures=(figure,),
        notes="a note",
        seconds=12.4,
    )


def test_markdown_has_the_summary_then_each_claim(tmp_path):
    text = markdown([result(tmp_path)], "test machine", tmp_path)
    assert text.startswith("# The published claims, measured\n")
    assert "Machine and run: test machine." in text
    assert "| [2](#claim-2) | clipping | gradients | **mixed** | 0: holds, 1: does not hold | 12 s |" in text
    assert "## Claim 2: clipping | gradients: mixed" in text and '<a id="claim-2"></a>' in text
    for line in ("**Source.** WGAN-GP Fig. 1b", "**Rule.** span >= 3", "**Notes.** a note", "Time: 12 s."):
        assert line in text
    assert "| 0 | holds | 12.35 |" in text  # the per-seed table, four significant digits
    assert "| clip \\| 0.1 | 1.235e-07 |" in text and "| GP | - |" in text  # pipes escaped, missing as a dash
    assert "![claim 2](figures/claim-02-x.png)" in text  # relative to the report's folder


def test_write_claims_report_writes_markdown_and_html(tmp_path):
    path = write_claims_report([result(tmp_path)], "machine", tmp_path / "out")
    assert path == tmp_path / "out" / "claims.md" and path.read_text().startswith("# The published claims")
    assert "<html" in (tmp_path / "out" / "claims.html").read_text()
    assert "../figures/claim-02-x.png" in path.read_text()


def test_machine_line_names_seeds_mode_and_minutes():
    line = machine_line(90.0, (0, 1, 2), quick=True)
    assert "seeds 0, 1, 2" in line and "quick (a smoke test at tiny sizes: no verdicts drawn)" in line
    assert line.endswith("1.5 minutes in all") and "CPU cores" in line


def test_machine_line_names_the_cpu_model(monkeypatch, tmp_path):
    """The model name where cpuinfo gives one, the architecture alone where it does not."""
    from wganlab.machine import cpu_model

    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nmodel name\t: AMD EPYC 7B13\nflags\t: avx2\n")
    assert cpu_model(info) == "AMD EPYC 7B13"
    assert cpu_model(tmp_path / "missing") is None
    info.write_text("processor\t: 0\nmodel name\t:\n")
    assert cpu_model(info) is None
    monkeypatch.setattr("platform.processor", lambda: "x86_64")
    monkeypatch.setattr("wganlab.reports.claims_markdown.cpu_model", lambda: "AMD EPYC 7B13")
    assert machine_line(60.0, (0,), quick=False).startswith("x86_64 AMD EPYC 7B13, ")
    monkeypatch.setattr("wganlab.reports.claims_markdown.cpu_model", lambda: None)
    assert machine_line(60.0, (0,), quick=False).startswith("x86_64, ")


def test_machine_line_counts_threads_in_words(monkeypatch):
    monkeypatch.setattr("torch.get_num_threads", lambda: 1)
    assert "(1 thread);" in machine_line(60.0, (0,), quick=False)
    monkeypatch.setattr("torch.get_num_threads", lambda: 4)
    assert "(4 threads);" in machine_line(60.0, (0,), quick=False)
    assert "(2 processes of 2 threads (--jobs 2));" in machine_line(60.0, (0,), quick=False, jobs=2)
