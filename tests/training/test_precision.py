"""train.precision: bfloat16 autocast for the forward passes, with scores, losses and the penalties' gradient
norms in float32 (training/precision.py)."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from tests.tiny import TINY
from wganlab import cli
from wganlab import config as configuration
from wganlab.errors import ConfigError
from wganlab.objectives.penalties import PENALTIES
from wganlab.rundir import read_run

BF16_TOLERANCE = 2e-2  # relative: bfloat16 keeps 8 bits of mantissa (about 2.4 digits), and (|g| - 1)^2 near |g| = 1
# magnifies the norm's rounding (DRAGAN here: 1.3 %; GP 0.04 %)


def _critic() -> nn.Module:
    torch.manual_seed(0)
    critic = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))
    with torch.no_grad():
        critic[-1].weight.mul_(8.0)  # gradient norms above 1, so the one-sided penalty is not zero
    return critic


@pytest.mark.parametrize("name", [name for name, entry in PENALTIES.items() if entry.function is not None])
def test_every_penalty_under_bf16_autocast_equals_fp32(name: str) -> None:
    penalty = PENALTIES[name].function
    critic = _critic()
    real, fake = torch.randn(256, 2, generator=torch.Generator().manual_seed(2)), torch.randn(256, 2) + 1
    full = penalty(critic, real, fake, torch.Generator().manual_seed(1))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        mixed = penalty(critic, real, fake, torch.Generator().manual_seed(1))
    assert mixed.dtype == torch.float32  # the value and its norm in float32
    full_value, mixed_value = full.item(), mixed.item()
    assert full_value > 0
    assert abs(mixed_value - full_value) <= BF16_TOLERANCE * full_value, (mixed_value, full_value)
    # and the gradient it gives the critic's weights
    (full_grad,) = torch.autograd.grad(full, critic[0].weight)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        mixed = penalty(critic, real, fake, torch.Generator().manual_seed(1))
    (mixed_grad,) = torch.autograd.grad(mixed, critic[0].weight)
    assert (mixed_grad - full_grad).norm() <= 5 * BF16_TOLERANCE * full_grad.norm()


def test_a_bf16_run_trains_and_records_its_precision(tmp_path, capsys) -> None:
    argv = ["train", *TINY, "--steps", "40", "--set", "train.precision=bf16", "--set", "eval.every=0",
            "--outdir", str(tmp_path)]
    assert cli.main(argv) == 0
    (folder,) = tmp_path.iterdir()
    run = read_run(folder)
    assert run.config.train.precision == "bf16"
    assert all(math.isfinite(record["critic/loss"]) for record in run.stats)
    assert math.isfinite(run.final_metrics["w1_200"])


def test_fp16_is_refused_in_one_line() -> None:
    with pytest.raises(ConfigError, match='train.precision must be "fp32" or "bf16" .fp16, which needs') as error:
        configuration.load(overrides=["train.precision=fp16"])
    assert "\n" not in str(error.value)
