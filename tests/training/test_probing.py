"""The probe per evaluation: which real data it compares, a critic left in train mode, reproducible by seed."""

from __future__ import annotations

import math

import pytest
import torch

from wganlab import config as configuration
from wganlab.data.images import load_images
from wganlab.objectives.objective import build_objective
from wganlab.training.build import build
from wganlab.training.probing import build_prober

TINY = ["model.width=16", "model.depth=1", "train.batch_size=32"]


def _build(*overrides: str):
    return build(configuration.load(None, "grid", [*TINY, *overrides]))


def _values(record: dict) -> list[float]:
    """Every number of a record in key order, per-layer lists flattened."""
    return [x for key in sorted(record) for x in (record[key] if isinstance(record[key], list) else [record[key]])]


def _same(a: dict, b: dict) -> bool:
    """Records equal value for value, NaN equal to NaN."""
    pairs = zip(_values(a), _values(b), strict=True)
    return a.keys() == b.keys() and all(x == y or (math.isnan(x) and math.isnan(y)) for x, y in pairs)


@pytest.mark.parametrize("data", ["grid", "ring", "swissroll"])
def test_held_out_data_of_a_toy_is_the_distribution_itself(data: str) -> None:
    run, _ = _build(f'data.name="{data}"')
    assert run.prober is not None
    assert run.prober.train_data is run.dataset and run.prober.held_out_data is run.dataset


def test_held_out_digits_are_the_test_split() -> None:
    config = configuration.load(None, "digits", ["model.width=8"])
    train = load_images("digits")
    prober = build_prober(config, train, build_objective(config.objective))
    test = load_images("digits", split="test")
    assert prober.held_out_data is not None
    assert torch.equal(prober.held_out_data.base.images, test.images)  # the digits preset stacks 3 copies
    assert prober.held_out_data.copies == 3


def test_a_probe_leaves_the_critic_in_train_mode_and_repeats_for_a_seed() -> None:
    run, state = _build()
    prober = run.prober
    assert prober is not None and prober.latent_dim == 2
    global_rng = torch.get_rng_state()
    state.critic.eval()
    first = prober.probe(state.generator, state.critic, seed=11)
    assert state.critic.training and state.generator.training
    again = prober.probe(state.generator, state.critic, seed=11)
    other = prober.probe(state.generator, state.critic, seed=12)
    assert torch.equal(torch.get_rng_state(), global_rng)  # the probe draws from its own generator
    assert _same(first, again)
    assert not _same(first, other)
    assert {"lipschitz/real", "gradients/layer_norms", "critic/heldout_gap"} <= set(first)
    assert "weights/clip_saturation" not in first


def test_clip_value_comes_from_the_built_constraint() -> None:
    run, state = _build('objective.constraint="clip"', "objective.clip_value=0.03", 'objective.penalty="none"')
    assert run.prober is not None and run.prober.clip_value == 0.03
    with torch.no_grad():  # every parameter at +/-c: all saturated
        for parameter in state.critic.parameters():
            parameter.copy_(0.03 * torch.sign(parameter).where(parameter != 0, torch.ones_like(parameter)))
    record = run.prober.probe(state.generator, state.critic, seed=0)
    assert record["weights/clip_saturation"] == pytest.approx(1.0, abs=1e-12)
    for constraint in ("none", "spectral-norm"):
        built, _ = _build(f'objective.constraint="{constraint}"')
        assert built.prober is not None and built.prober.clip_value is None


def test_no_prober_without_diagnostics() -> None:
    run, _ = _build("eval.diagnostics=false")
    assert run.prober is None
