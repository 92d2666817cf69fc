"""The claims page: verdicts coloured, every field of a ClaimResult shown (escaped), figures inline."""

from __future__ import annotations

from tests.reports.conftest import SCRIPT, assert_self_contained, png
from wganlab.claims.result import Claim, ClaimResult, SeedOutcome, Table
from wganlab.reports import html as h
from wganlab.reports.claims_page import claims_html


def result(number: int, verdicts: tuple[str, ...], figures=(), notes: str = "") -> ClaimResult:
    return ClaimResult(
        Claim(number, f"claim {number} {SCRIPT}", "WGAN (Arjovsky et al. 2017), Fig. 3", "The estimate falls."),
        protocol="grid, 2,000 steps, 3 seeds",
        rule="holds if rho > 0.6 on the seed",
        outcomes=tuple(
            SeedOutcome(seed, v, {"rho": 0.5 + seed, "only seed 0": 1.0} if seed == 0 else {"rho": 0.1})
            for seed, v in enumerate(verdicts)
        ),
        tables=(Table(("step", "w1 <2000>"), ((1, 0.5), (2, 0.25))),),
        figures=tuple(figures),
        seconds=12.3,
        notes=notes,
    )


def test_claims_page(tmp_path):
    figure = tmp_path / "claim05-curves.png"
    figure.write_bytes(png())
    results = [
        result(5, ("holds", "holds"), [figure, tmp_path / "missing.png"], notes=f"deviation {SCRIPT}"),
        result(7, ("holds", "does not hold")),
        result(9, ("does not hold",)),
    ]
    page = claims_html(results, f"claims {SCRIPT}", "2 cores <fast>")
    parsed = assert_self_contained(page)
    assert parsed.sections == ["verdicts", "claim-5", "claim-7", "claim-9"]
    assert len(parsed.images) == 1
    assert "<script>" not in page and page.count(h.escape(SCRIPT)) >= 5
    assert "2 cores &lt;fast&gt;" in page and "w1 &lt;2000&gt;" in page
    assert '<span class="badge holds">holds</span>' in page
    assert '<span class="badge mixed">mixed</span>' in page
    assert '<span class="badge does-not-hold">does not hold</span>' in page
    assert "3 claims: 1 holds, 1 does not hold, 1 mixed." in page
    assert "missing.png could not be included" in page
    assert 'class="num missing"' in page  # seed 1 lacks the number "only seed 0"
    for field in ("Source", "Expectation", "Protocol", "Rule", "Notes", "Per seed"):
        assert field in page


def test_no_claims():
    page = claims_html([], "claims", "machine")
    assert "No claim was run." in page
