"""The comparison page: what differs between runs, final metrics side by side, overlays, last figures."""

from __future__ import annotations

import pytest

from tests.reports.conftest import HOSTILE_NAME, assert_self_contained, hostile_folder, write_run
from wganlab.errors import UserError
from wganlab.reports import html as h
from wganlab.reports.compare import comparison_html, differing_config, flatten, write_comparison
from wganlab.runlogs import read_run


def test_flatten():
    flat = flatten({"preset": "grid", "optim": {"betas": [0.5, 0.9], "name": "adam"}})
    assert flat == {"preset": "grid", "optim.betas": (0.5, 0.9), "optim.name": "adam"}


def test_two_runs_side_by_side(tmp_path):
    first = write_run(hostile_folder(tmp_path), ["objective.constraint=clip", "objective.clip_value=0.01"])
    second = write_run(tmp_path / "00001-clip", ["objective.constraint=clip", "objective.clip_value=0.1"])
    differing = differing_config([read_run(first), read_run(second)])
    assert differing == {"objective.clip_value": [0.01, 0.1]}

    out = write_comparison([first, second], tmp_path / "compare.html")
    page = out.read_text()
    parsed = assert_self_contained(page)
    assert parsed.sections == ["differs", "metrics", "curves", "samples"]
    assert len(parsed.images) == 1 + 2  # the overlay, the last figure of each run
    assert "<code>objective.clip_value</code>" in page and "<code>objective.constraint</code>" not in page
    assert h.escape(HOSTILE_NAME) in page and "<img src=x" not in page
    assert "clip_value=0.01" in page and "clip_value=0.1" in page  # the figure captions name the swept value
    assert "<code>w1_2000</code>" in page and "between 2000 generated" in page


def test_runs_with_different_metrics_show_a_dash(tmp_path):
    toy = write_run(tmp_path / "00000-toy")
    images = write_run(tmp_path / "00001-digits", ["data.name=digits", "model.arch=dcgan"], images=True)
    page = comparison_html([toy, images])
    assert_self_contained(page)
    assert "<code>fid_200</code>" in page and "<code>w1_2000</code>" in page
    assert 'class="num missing"' in page


def test_nothing_to_compare():
    with pytest.raises(UserError, match="at least one run"):
        comparison_html([])
