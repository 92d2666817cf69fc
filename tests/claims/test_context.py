"""The claims' context: sizes, figures written and closed, memoised values and memoised training runs."""

from __future__ import annotations

import pytest

from wganlab.claims.context import ClaimContext
from wganlab.plotting import pyplot as plt
from wganlab.runlogs import RunLogs
from wganlab.training.guard import NonFiniteError

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


def test_train_many_stacks_what_it_can_and_shares_the_memo_with_train(tmp_path):
    claims = context(tmp_path)
    first = claims.train("grid", TINY)  # already trained: not trained again
    runs = [TINY | {"train.seed": seed, "objective.penalty_weight": weight} for seed in (0, 1) for weight in (0.1, 1.0)]
    trained = claims.train_many("grid", runs + [runs[1]])
    assert trained[0] is first and trained[4] is trained[1]  # memoised, and a repeated run trained once
    assert [(run.config.train.seed, run.config.objective.penalty_weight) for run in trained[:4]] == [
        (0, 0.1), (0, 1.0), (1, 0.1), (1, 1.0)]
    assert all(run.summary is not None and [r["step"] for r in run.metrics] == [2, 4] for run in trained)
    sweeps = [folder for folder in (tmp_path / "runs").iterdir() if "sweep" in folder.name]
    assert len(sweeps) == 1 and len([f for f in sweeps[0].iterdir() if f.is_dir()]) == 3  # the three not yet trained
    assert claims.train("grid", runs[3]) is trained[3]


def test_a_non_finite_step_ends_a_run_only_when_the_claim_asks(tmp_path):
    """With divergence_ends_run the logs written before the stop are kept and the stop is in events; without it (or
    asking again for the memoised run without it) the NonFiniteError comes through."""
    claims = context(tmp_path)
    values = TINY | {"train.steps": 12, "optim.name": "rmsprop", "optim.lr_critic": 1e8, "optim.lr_generator": 1e8,
                     "eval.every": 1, "train.on_nonfinite": "stop"}  # finite at step 1, not at step 2
    trained = claims.train("grid", values, divergence_ends_run=True)
    stops = [event for event in trained.events if event.get("action") == "stop"]
    assert trained.summary is None and len(stops) == 1 and trained.metrics
    assert all(record["step"] <= stops[0]["step"] for record in trained.stats + trained.metrics)
    with pytest.raises(NonFiniteError, match="not finite"):
        claims.train("grid", values)
    with pytest.raises(NonFiniteError, match="not finite"):
        context(tmp_path / "fresh").train("grid", values)
