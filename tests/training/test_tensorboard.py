"""Optional TensorBoard event files: scalars under their keys, everything else skipped."""

from __future__ import annotations

import math

import pytest

from wganlab.training.tensorboard import TENSORBOARD, is_scalar, open_writer, write_record


def test_is_scalar():
    assert [is_scalar(v) for v in (1, 2.5, math.nan, True, "x", [1.0], None)] == [True] * 3 + [False] * 4


def test_writes_scalars(tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    writer = open_writer(tmp_path)
    assert writer is not None
    for step in (10, 20):
        record = {"step": step, "critic/loss": -1.0 / step, "gradients/layer_norms": [1.0], "protocol": {"a": 1}}
        write_record(writer, step, record | {"note": "text", "flag": True})
    writer.close()
    events = EventAccumulator(str(tmp_path / TENSORBOARD))
    events.Reload()
    assert events.Tags()["scalars"] == ["critic/loss"]
    scalars = events.Scalars("critic/loss")
    assert [e.step for e in scalars] == [10, 20]
    assert [e.value for e in scalars] == pytest.approx([-0.1, -0.05])  # stored as float32


def test_without_tensorboard(tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def refuse(name, *args, **kwargs):
        if name.startswith("torch.utils.tensorboard"):
            raise ImportError("no tensorboard")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", refuse)
    assert open_writer(tmp_path) is None
