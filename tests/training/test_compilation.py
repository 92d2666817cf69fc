"""train.compile: the updates' forward passes through torch.compile, the critic left eager under a gradient
penalty (whose double backward torch.compile cannot differentiate), everything else on the plain modules."""

from __future__ import annotations

import pytest
import torch

from tests.tiny import TINY
from tests.training.double import EQUAL, cast
from wganlab import config as configuration
from wganlab.training import checkpoint
from wganlab.training.build import build, execution_for
from wganlab.training.step import train_step

SPECTRAL = ["objective.loss=hinge", "objective.penalty=none", "objective.constraint=spectral-norm"]


def _config(*values: str) -> configuration.Config:
    return configuration.load(overrides=[item for item in TINY if item != "--set"] + list(values), steps=10)


def test_under_a_gradient_penalty_only_the_generator_is_compiled_and_the_run_says_so() -> None:
    run, state = build(_config("train.compile=true"))  # wgan-gp-toy: penalty gp
    assert run.execution.generator is not None and run.execution.critic is None
    (note,) = run.notes
    assert note.startswith("train.compile: the critic runs uncompiled: its gradient penalty 'gp' needs a double")
    assert "\n" not in note


def test_without_a_gradient_penalty_both_networks_are_compiled() -> None:
    run, state = build(_config("train.compile=true", *SPECTRAL))
    assert run.execution.generator is not None and run.execution.critic is not None and run.notes == ()
    plain, _ = execution_for(state.generator, state.critic, "none", False, run.execution.autocast, run.execution.sync)
    assert plain.generator is None and plain.critic is None


@pytest.mark.equivalence
@pytest.mark.parametrize("objective", [SPECTRAL, []], ids=["hinge-spectral-norm", "wasserstein-gp"])
def test_compiled_updates_compute_what_eager_ones_compute(objective: list[str]) -> None:
    """Three generator steps (15 critic steps) compiled and eager: the same networks up to float reordering (in
    float64: double.py says why), and the same checkpoint layout (the compiled wrappers never reach the state).

    A compiled spectral-norm critic is not eager's to rounding: its weight gradient parts from eager's by about
    2e-5 of its size at the first update, shrinking as the power iteration settles, the same in float64 as in
    float32 (1.1e-7 and 1.2e-7 in the first layer's weights after these 3 steps, AMD EPYC), so not the CPU's:
    torch.compile handles the in-place power-iteration update otherwise than eager. It stays under EQUAL."""
    states = []
    for compiled in (False, True):
        run, state = build(_config(f"train.compile={str(compiled).lower()}", *objective))
        run = cast(run, state, torch.float64)
        for _ in range(3):
            train_step(run, state)
            state.step += 1
        states.append((run, state))
    (eager_run, eager), (compiled_run, compiled) = states
    for name, tensor in eager.critic.state_dict().items():
        assert torch.allclose(tensor, compiled.critic.state_dict()[name], rtol=0, atol=EQUAL), name
    for name, tensor in eager.generator.state_dict().items():
        assert torch.allclose(tensor, compiled.generator.state_dict()[name], rtol=0, atol=EQUAL), name
    payload = checkpoint.decode(checkpoint.encode(compiled, compiled_run.config, (2,)), "compiled")
    assert set(payload["generator"]) == set(eager.generator.state_dict())
    assert set(payload["critic"]) == set(eager.critic.state_dict())
