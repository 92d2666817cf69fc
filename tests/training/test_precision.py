"""train.precision: bfloat16 or float16 autocast for the forward passes, with scores, losses and the penalties'
gradient norms in float32, and float16's loss scaling (training/build.py, training/step.py)."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest
import torch
from torch import nn

from tests.bitwise import unbroken_and_resumed
from tests.hostile import refused
from tests.tiny import TINY
from wganlab import cli
from wganlab import config as configuration
from wganlab.config import Config
from wganlab.objectives.penalties import PENALTIES, current_loss_scale, scaled_input_gradients
from wganlab.runlogs import read_run
from wganlab.training import checkpoint
from wganlab.training.build import build
from wganlab.training.loop import fit
from wganlab.training.session import start
from wganlab.training.step import train_step

# The bounds are set by the formats' own rounding, not by a CPU: autocast rounds the inputs and weights to the format
# before any kernel runs and every CPU kernel accumulates in float32, so the error is the format's. Measured the same
# to three digits with this CPU's kernels (AVX-512, avx512_bf16) and with the generic ones (ATEN_CPU_CAPABILITY=
# default, MKL SSE4.2, oneDNN SSE4.1, one thread), AMD EPYC.
BF16_TOLERANCE = 2e-2  # relative, 5 units of 2^-8: bfloat16 keeps 8 bits of mantissa, and (|g| - 1)^2 near |g| = 1
# magnifies the norm's rounding (DRAGAN here: 1.3 %; GP 0.6 %)
FP16_TOLERANCE = 5e-3  # relative, 10 units of 2^-11: float16 keeps 11 bits; measured at most 0.33 % (DRAGAN)
LOSS_SCALE = 65536.0  # torch.amp.GradScaler's initial scale


def _critic() -> nn.Module:
    torch.manual_seed(0)
    critic = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))
    with torch.no_grad():
        critic[-1].weight.mul_(8.0)  # gradient norms above 1, so the one-sided penalty is not zero
    return critic


PRECISIONS = {  # autocast dtype, loss scale (None: no scaling), relative tolerance
    "bf16": (torch.bfloat16, None, BF16_TOLERANCE),
    "fp16": (torch.float16, LOSS_SCALE, FP16_TOLERANCE),
}


@pytest.mark.parametrize("precision", list(PRECISIONS))
@pytest.mark.parametrize("name", [name for name, entry in PENALTIES.items() if entry.function is not None])
@pytest.mark.equivalence
def test_every_penalty_under_autocast_equals_fp32(name: str, precision: str) -> None:
    """The value within the precision's tolerance, and the gradient it gives the critic's weights within 5x it."""
    dtype, loss_scale, tolerance = PRECISIONS[precision]
    penalty = PENALTIES[name].function
    critic = _critic()
    real, fake = torch.randn(256, 2, generator=torch.Generator().manual_seed(2)), torch.randn(256, 2) + 1
    full = penalty(critic, real, fake, torch.Generator().manual_seed(1))
    with torch.autocast("cpu", dtype=dtype), scaled_input_gradients(None if loss_scale is None else lambda: loss_scale):
        mixed = penalty(critic, real, fake, torch.Generator().manual_seed(1))
    assert mixed.dtype == torch.float32  # the value and its norm in float32
    full_value, mixed_value = full.item(), mixed.item()
    assert full_value > 0
    assert abs(mixed_value - full_value) <= tolerance * full_value, (mixed_value, full_value)
    (full_grad,) = torch.autograd.grad(full, critic[0].weight)
    (mixed_grad,) = torch.autograd.grad(mixed, critic[0].weight)
    assert (mixed_grad - full_grad).norm() <= 5 * tolerance * full_grad.norm()


def test_a_bf16_run_trains_and_records_its_precision(tmp_path, capsys) -> None:
    argv = ["train", *TINY, "--steps", "40", "--set", "train.precision=bf16", "--set", "eval.every=0",
            "--outdir", str(tmp_path)]
    assert cli.main(argv) == 0
    (folder,) = tmp_path.iterdir()
    run = read_run(folder)
    assert run.config.train.precision == "bf16"
    assert all(math.isfinite(record["critic/loss"]) for record in run.stats)
    assert math.isfinite(run.final_metrics["w1_200"])


@pytest.mark.parametrize("units", [False, True, None])
def test_bf16_on_a_cpu_without_bfloat16_units_says_so_in_one_line_at_start(tmp_path, capsys, monkeypatch,
                                                                            units) -> None:
    from wganlab.training import build as building

    monkeypatch.setattr(building, "cpu_has_bfloat16_units", lambda: units)
    argv = ["train", *TINY, "--steps", "2", "--set", "train.precision=bf16", "--set", "eval.every=0",
            "--outdir", str(tmp_path)]
    assert cli.main(argv) == 0
    said = [line for line in capsys.readouterr().err.splitlines() if "bfloat16" in line]
    if units is False:  # known to lack them
        assert len(said) == 1 and said[0].startswith('train.precision: "bf16" on a CPU without bfloat16 units')
    else:  # has them, or cannot be told: nothing said
        assert said == []
    assert building.precision_notes(Config().train) == []  # fp32 never


def test_this_cpu_s_bfloat16_units_are_read_from_its_flags() -> None:
    from wganlab.machine import cpu_has_bfloat16_units

    flags = Path("/proc/cpuinfo").read_text().split() if Path("/proc/cpuinfo").exists() else None
    if flags is None or "flags" not in flags:
        pytest.skip("no /proc/cpuinfo flags to compare with on this machine")
    assert cpu_has_bfloat16_units() == ("avx512_bf16" in flags or "amx_tile" in flags)


def _small_deep_critic() -> nn.Module:
    """Four tanh layers with weights x 0.02: its input gradients are about 1e-7, below float16's normal range."""
    torch.manual_seed(0)
    layers: list[nn.Module] = [nn.Linear(2, 64), nn.Tanh()]
    for _ in range(3):
        linear = nn.Linear(64, 64)
        with torch.no_grad():
            linear.weight.mul_(0.02)
        layers += [linear, nn.Tanh()]
    return nn.Sequential(*layers, nn.Linear(64, 1))


@pytest.mark.equivalence
def test_the_loss_scale_keeps_a_penalty_s_fp16_input_gradients_from_underflowing() -> None:
    critic = _small_deep_critic()
    real, fake = torch.randn(256, 2, generator=torch.Generator().manual_seed(2)), torch.randn(256, 2) + 1
    full = PENALTIES["r1"].function(critic, real, fake, None).item()

    def relative_error(loss_scale: float | None) -> float:
        scale = None if loss_scale is None else lambda: loss_scale
        with torch.autocast("cpu", dtype=torch.float16), scaled_input_gradients(scale):
            return abs(PENALTIES["r1"].function(critic, real, fake, None).item() - full) / full

    assert relative_error(None) > 0.05  # unscaled: the backward pass through float16 layers loses the gradient
    assert relative_error(LOSS_SCALE) < 2e-3  # scaled before autograd.grad, unscaled after: float32's answer


FP16 = [*TINY, "--set", "train.precision=fp16", "--set", "eval.every=0", "--set", "train.log_every=1"]


def test_an_fp16_run_trains_and_checkpoints_its_loss_scales(tmp_path) -> None:
    argv = ["train", *FP16, "--steps", "40", "--set", "train.checkpoint_every=20", "--outdir", str(tmp_path)]
    assert cli.main(argv) == 0
    (folder,) = tmp_path.iterdir()
    run = read_run(folder)
    assert run.config.train.precision == "fp16"
    assert math.isfinite(run.final_metrics["w1_200"])
    assert {"amp/critic_scale", "amp/generator_scale", "amp/critic_skipped"} <= set(run.stats[-1])
    scales = checkpoint.read(folder / "checkpoints" / "checkpoint-0000040.pt")["scalers"]
    for network in ("critic", "generator"):
        scale = scales[network]["scale"]
        assert 0 < scale <= 65536.0 and math.log2(scale).is_integer()  # halved from 2^16 on each skip


def test_an_fp32_checkpoint_holds_no_loss_scales(tmp_path) -> None:
    argv = ["train", *TINY, "--steps", "2", "--set", "eval.every=0", "--outdir", str(tmp_path)]
    assert cli.main(argv) == 0
    assert "scalers" not in checkpoint.read(next(tmp_path.glob("*/checkpoints/*.pt")))


@pytest.mark.equivalence
def test_an_fp16_run_resumed_ends_bitwise_equal_to_an_unbroken_one(tmp_path) -> None:
    a, b = unbroken_and_resumed(tmp_path, [*FP16, "--set", "train.checkpoint_every=15"], 30)
    assert a["scalers"] == b["scalers"]
    for network in ("generator", "critic"):
        for name, tensor in a[network].items():
            assert torch.equal(tensor, b[network][name]), (network, name)


def test_updates_the_scaler_skips_are_not_a_broken_run(tmp_path) -> None:
    """A loss scale far too large overflows the first updates: the scaler skips them and halves its scale each
    time; the guard lets it, and the run trains on."""
    config = configuration.load(overrides=[*_values(TINY), "train.precision=fp16", "eval.every=0",
                                           "train.log_every=1"], steps=60)
    folder, run, state = start(config, tmp_path)
    state.critic_scaler = torch.amp.GradScaler("cpu", init_scale=2.0**60)
    summary = fit(folder, run, state)
    stats = read_run(folder).stats
    assert summary.step == 60
    assert stats[0]["amp/critic_skipped"] == 1.0 and stats[0]["amp/critic_scale"] < 2.0**60
    assert stats[-1]["amp/critic_skipped"] == 0.0 and math.isfinite(stats[-1]["critic/loss"])
    assert not (folder / "events.jsonl").exists()


def test_an_fp16_run_whose_parameters_blow_up_still_stops(tmp_path, capsys) -> None:
    huge = ["--set", "optim.lr_critic=1e30", "--set", "optim.lr_generator=1e30"]
    error = refused(["train", *FP16, *huge, "--steps", "20", "--outdir", str(tmp_path)], capsys)
    assert error.startswith("wganlab: error: training stopped at step ")


def _values(arguments: list[str]) -> list[str]:
    """The KEY=VALUE items of a --set list."""
    return [item for item in arguments if item != "--set"]


@pytest.mark.parametrize("precision", ["fp32", "fp16"])
def test_a_penalty_in_a_training_step_takes_its_gradient_at_the_critic_scaler_s_scale_of_that_moment(precision):
    """train_step sets the loss scale in its context (step.py); each critic update's penalty reads the scale its
    scaler has then (set here between steps to values no update reaches by itself: small enough that no update
    overflows and backs off), and nothing outside the step sees one."""
    config = configuration.load(None, "grid", ["model.width=16", "model.depth=1", "train.batch_size=32",
                                               f"train.precision={precision}", "train.critic_iters=3"])
    run, state = build(config)
    seen: list[float | None] = []
    penalty = run.objective.penalty

    def recording(critic, real, fake, rng):
        scale = current_loss_scale()  # the scaler's own tensor, on the device: its value now
        seen.append(None if scale is None else float(scale))
        return penalty(critic, real, fake, rng)

    run = dataclasses.replace(run, objective=dataclasses.replace(run.objective, penalty=recording))
    train_step(run, state)  # the scaler has no scale to set before its first use (and its first step may back off)
    seen.clear()
    for scale in (2.0**4, 2.0**10):
        state.critic_scaler.update(new_scale=scale)  # a no-op for fp32's pass-through scaler
        train_step(run, state)
    assert seen == ([2.0**4] * 3 + [2.0**10] * 3 if precision == "fp16" else [None] * 6)
    assert current_loss_scale() is None
