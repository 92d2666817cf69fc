"""The report figures: which numbers they plot, that they render to PNG at their size, and text shown as written."""

from __future__ import annotations

import io
import math
from collections.abc import Iterator

import pytest
from matplotlib.figure import Figure
from PIL import Image

from wganlab.plotting import pyplot
from wganlab.reports import curves
from wganlab.reports import html as h

STATS = [{"step": s, "critic/loss": -1.0 / s, "critic/estimate": 10.0 / s, "generator/loss": 0.5} for s in (10, 20, 30)]
METRICS = [{"step": 20, "w1_2000": 1.0, "critic_estimate": 0.9}, {"step": 30, "w1_2000": 0.5, "critic_estimate": 0.4}]
PROBES = [{"step": 20, "lipschitz/real": 2.0, "critic/heldout_gap": 0.1}, {"step": 30, "lipschitz/real": 3.0}]


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(h.PNG_SIGNATURE)
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return image.size


@pytest.fixture
def drawn(monkeypatch) -> Iterator[list[Figure]]:
    """The figures the next calls draw, kept open instead of rendered (and closed after the test)."""
    figures: list[Figure] = []

    def keep(figure: Figure) -> bytes:
        figures.append(figure)
        return b""

    monkeypatch.setattr(curves, "to_png", keep)
    yield figures
    for figure in figures:
        pyplot.close(figure)


def test_column_keeps_numbers_and_nan_only():
    records = [
        {"step": 1, "x": 1},
        {"step": 2, "x": "1.5"},
        {"step": 3, "x": None},
        {"step": 4, "x": True},
        {"step": 5},
        {"step": 6, "x": math.nan},
        {"step": 7, "x": [1.0]},
        {"step": 8, "x": -2.5},
    ]
    steps, values = curves.column(records, "x")
    assert steps == [1, 6, 8] and values[0] == 1.0 and math.isnan(values[1]) and values[2] == -2.5
    assert all(isinstance(v, float) for v in values)
    assert curves.column([], "x") == ([], [])


def test_plain_escapes_dollars():
    assert curves.plain("clip $c$ = 0.01") == r"clip \$c\$ = 0.01"
    assert curves.plain("no maths") == "no maths"


def test_training_curves_plot_the_stats_and_the_quality(drawn):
    curves.training_curves(STATS, METRICS, "w1_2000")
    (figure,) = drawn
    left, right, twin = figure.axes
    lines = {line.get_label(): (list(line.get_xdata()), list(line.get_ydata())) for line in left.lines}
    assert list(lines) == ["critic/estimate", "critic/loss", "generator/loss"]  # no penalty logged: no line
    assert lines["critic/estimate"] == ([10, 20, 30], [1.0, 0.5, 10.0 / 30])
    assert list(right.lines[0].get_ydata()) == [1.0, 0.5] and right.get_yscale() == "linear"
    assert twin.lines[0].get_label() == "critic_estimate (at evaluation)"
    assert list(twin.lines[0].get_ydata()) == [0.9, 0.4]


def test_image_runs_track_the_training_estimate(drawn):
    metrics = [{"step": 20, "fid_200": 1e5}, {"step": 30, "fid_200": 10.0}]  # four decades: a log axis
    curves.training_curves(STATS, metrics, "fid_200")
    _, right, twin = drawn[0].axes
    assert right.get_yscale() == "log"
    assert twin.lines[0].get_label() == "critic/estimate (training)"
    assert list(twin.lines[0].get_xdata()) == [10, 20, 30]


def test_training_curves_without_a_quality_metric(drawn):
    curves.training_curves(STATS, [], None)
    assert drawn[0].axes[1].texts[0].get_text() == "no quality metric recorded"


@pytest.mark.parametrize("quality", ["w1_2000", None])
def test_training_curves_png(quality):
    assert png_size(curves.training_curves(STATS, METRICS, quality)) == (945, 315)  # 10.5 x 3.5 in at 90 dpi


def test_diagnostics_curves_one_panel_per_kind_of_data():
    assert curves.diagnostics_curves([]) is None
    assert curves.diagnostics_curves([{"step": 1, "gradients/layer_norms": [1.0, 2.0]}]) is None
    lipschitz_only = [{"step": 1, "lipschitz/real": 2.0}]
    assert png_size(curves.diagnostics_curves(lipschitz_only)) == (378, 297)  # (3.6 k + 0.6) x 3.3 in, k = 1
    assert png_size(curves.diagnostics_curves(PROBES)) == (702, 297)  # k = 2
    clipped = PROBES + [{"step": 40, "weights/clip_saturation": 0.5}]
    assert png_size(curves.diagnostics_curves(clipped)) == (1026, 297)  # k = 3


def test_layer_norms_figure():
    assert png_size(curves.layer_norms_figure([1.0, 0.1, math.inf])) == (324, 252)  # at least 3.6 x 2.8 in
    assert png_size(curves.layer_norms_figure([1.0] * 10, "ten layers")) == (567, 252)  # 0.45 n + 1.8 in wide


def test_overlay_curves(drawn):
    runs = [
        curves.Series("a", STATS, METRICS, "w1_2000"),
        curves.Series("b $x$", STATS[:1], [], None),  # no quality metric: only its estimate
    ]
    curves.overlay_curves(runs, "w1_2000")
    left, right = drawn[0].axes
    assert [line.get_label() for line in left.lines] == ["a"]
    assert [line.get_label() for line in right.lines] == ["a", r"b \$x\$"]


def test_overlay_labels_are_not_mathtext():
    series = [curves.Series(r"run $\notacommand$", [{"step": 1, "critic/estimate": 1.0}], [], None)]
    assert png_size(curves.overlay_curves(series, None)) == (945, 333)  # 3.4 in + one legend row of 0.3 in
