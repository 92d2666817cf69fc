"""The claims' context: sizes, figures written and closed, memoised values and memoised training runs."""

from __future__ import annotations

from wganlab.claims.context import ClaimContext
from wganlab.plotting import pyplot as plt
from wganlab.rundir import RunLogs

TINY = {"model.width": 8, "model.depth": 1, "train.batch_size": 16, "train.steps": 4, "eval.every": 2,
        "eval.samples": 50, "eval.w1_samples": 50, "eval.figures": False}


def context(tmp_path, quick: bool = True) -> ClaimContext:
    return ClaimContext((0,), quick, tmp_path / "figures", tmp_path / "runs", log=lambda line: None)


def test_sizes_and_figure_paths(tmp_path):
    assert context(tmp_path).size(100, 3) == 3 and context(tmp_path, quick=False).size(100, 3) == 100
    assert context(tmp_path).figure(7, "lines") == tmp_path / "figures" / "claim-07-lines.png"


def test_save_figure_writes_a_png_and_closes_the_figure(tmp_path):
    figure, axis = plt.subplots(figsize=(2, 2))
    axis.plot([0, 1], [1, 0])
    path = context(tmp_path).save_figure(figure, 3, "test")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not plt.fignum_exists(figure.number)


def test_memo_computes_once(tmp_path):
    calls: list[int] = []
    memo = context(tmp_path)
    assert memo.memo("key", lambda: calls.append(1) or 5) == 5
    assert memo.memo("key", lambda: calls.append(1) or 6) == 5
    assert calls == [1]


def test_train_is_memoised_by_the_resolved_config(tmp_path):
    claims = context(tmp_path)
    trained = claims.train("grid", TINY)
    assert isinstance(trained, RunLogs) and trained.config.train.steps == 4
    assert [r["step"] for r in trained.metrics] == [2, 4] and trained.summary is not None
    assert claims.train("grid", dict(TINY)) is trained
    other = claims.train("grid", TINY | {"train.seed": 1})
    assert other is not trained and len(list((tmp_path / "runs").iterdir())) == 2
