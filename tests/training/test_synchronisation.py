"""A training step never makes the host wait for the device: between the steps where the loop logs, evaluates or
checkpoints, no operation that synchronises a GPU with its host runs (tests/synchronising.py counts them on the
CPU), for the toy, digits (also with DiffAugment) and CIFAR ResNet recipes in fp32, bf16 and fp16; and the count
sees one when one is planted in the step."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.synchronising import Sync, SyncCounter
from wganlab import cli
from wganlab.training import loop, step, sweep

STEPS, LOG_EVERY = 7, 3  # the loop reads the device after steps 3 and 6 (logs) and 7 (the last: all of it)
QUIET = ["--steps", str(STEPS), "--set", f"train.log_every={LOG_EVERY}", "--set", "train.checkpoint_every=1000",
         "--set", "eval.every=0", "--set", "eval.diagnostics=false", "--set", "eval.figures=false"]
RECIPES = {
    "toy": ["--preset", "grid", "--set", "model.width=16", "--set", "train.batch_size=16",
            "--set", "eval.samples=100", "--set", "eval.w1_samples=100"],
    "digits": ["--preset", "digits", "--set", "model.width=8", "--set", "model.latent_dim=8",
               "--set", "train.batch_size=8", "--set", "eval.metrics=[]"],
    "digits-diffaug": ["--preset", "digits", "--set", "model.width=8", "--set", "model.latent_dim=8",
                       "--set", "train.batch_size=8", "--set", "eval.metrics=[]", "--set", "data.augment=diffaug"],
    "digits-cond": ["--preset", "digits-cond", "--set", "model.width=8", "--set", "model.latent_dim=8",
                    "--set", "train.batch_size=10", "--set", "eval.metrics=[]"],
    "cifar-resnet": ["--preset", "wgan-gp-cifar", "--set", "data.name=npz", "--set", "model.width=8",
                     "--set", "train.batch_size=8", "--set", "eval.metrics=[]"],
}


def _cifar_like(folder: Path) -> list[str]:
    """32x32 RGB uint8 images with labels in an .npz (CIFAR-10's form, stored as CIFAR-10 is: 8-bit)."""
    rng = np.random.default_rng(0)
    path = folder / "images.npz"
    np.savez(path, images=rng.integers(0, 256, (40, 32, 32, 3), dtype=np.uint8), labels=rng.integers(0, 10, 40))
    return ["--set", f"data.root={path}"]


def _syncs(
    arguments: list[str], outdir: Path, monkeypatch: pytest.MonkeyPatch, command: str = "train"
) -> tuple[list[Sync], int]:
    """The synchronising operations of a `wganlab train` run (or `sweep`), each with when it ran: "inside step s"
    or "after step s" (the loop's work between step s and the next), or "setup"; and the exit code."""
    counter, original, trainer = SyncCounter(), loop.train_step, loop if command == "train" else sweep

    def counted(run, state):  # type: ignore[no-untyped-def]
        counter.moment = f"inside step {state.step + 1}"
        stats = original(run, state)
        counter.moment = f"after step {state.step + 1}"
        return stats

    monkeypatch.setattr(trainer, "train_step", counted)
    with counter:
        code = cli.main([command, *arguments, *QUIET, "--outdir", str(outdir)])
    return counter.seen, code


def _between_readings(seen: list[Sync]) -> list[Sync]:
    """Those inside a step, or after a step where the loop does not read the device (not 3, 6 or 7)."""
    reading = {f"after step {s}" for s in range(1, STEPS + 1) if s % LOG_EVERY == 0 or s == STEPS}
    return [sync for sync in seen if sync.moment != "setup" and sync.moment not in reading]


@pytest.mark.parametrize("precision", ["fp32", "bf16", "fp16"])
@pytest.mark.parametrize("recipe", list(RECIPES))
def test_no_operation_waits_for_the_device_between_the_loops_readings(recipe, precision, tmp_path, monkeypatch):
    data = _cifar_like(tmp_path) if recipe == "cifar-resnet" else []
    arguments = [*RECIPES[recipe], *data, "--set", f"train.precision={precision}"]
    seen, code = _syncs(arguments, tmp_path / "runs", monkeypatch)
    assert code == 0
    assert [f"{s.op} {s.moment}: {s.where}" for s in _between_readings(seen)] == []
    assert any(s.moment == f"after step {STEPS}" for s in seen)  # the count sees the loop's own readings


def test_a_sweep_waits_for_the_device_only_where_it_reads_it_too(tmp_path, monkeypatch):
    """Two members trained as one stacked run (training/sweep.py), read where a run is."""
    seen, code = _syncs([*RECIPES["toy"], "--seeds", "0-1"], tmp_path, monkeypatch, command="sweep")
    assert code == 0
    assert [f"{s.op} {s.moment}: {s.where}" for s in _between_readings(seen)] == []
    assert any(s.moment == f"after step {STEPS}" for s in seen)


PLANTS: dict[str, Callable[[torch.Tensor], object]] = {
    ".item()": lambda real: real.sum().item(),
    "if tensor:": lambda real: bool(real.amax() > 0),
    "boolean mask": lambda real: real[real > 0],
    "torch.tensor(x, device=...)": lambda real: torch.tensor(1.0, device=real.device),
    "copy to another device": lambda real: real.to("meta"),
}


@pytest.mark.parametrize("plant", list(PLANTS))
def test_the_count_fails_a_step_with_a_planted_synchronisation(plant, tmp_path, monkeypatch):
    original = step.real_batch

    def planted(run, batch, rng):  # type: ignore[no-untyped-def]
        real, labels = original(run, batch, rng)
        PLANTS[plant](real)
        return real, labels

    monkeypatch.setattr(step, "real_batch", planted)
    seen, code = _syncs([*RECIPES["toy"], "--set", "train.precision=fp32"], tmp_path, monkeypatch)
    assert code == 0
    found = _between_readings(seen)
    assert found and all(s.moment.startswith("inside step") and "planted" in s.where for s in found)
    assert {s.moment for s in found} == {f"inside step {s}" for s in range(1, STEPS + 1)}
