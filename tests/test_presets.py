"""The presets: each resolves to a valid config carrying its values, and the published recipes are as published."""

from __future__ import annotations

import pytest

from wganlab import config as configuration
from wganlab.presets import PRESETS
from wganlab.training.validation import validate


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_resolves_and_applies_its_values(name):
    config = configuration.load(preset=name)
    for section, values in PRESETS[name].values.items():
        for key, value in values.items():
            got = getattr(getattr(config, section), key)
            assert got == (tuple(value) if isinstance(value, list) else value), f"{section}.{key}"


def test_published_recipes():
    paper = configuration.load(preset="wgan-paper")
    assert (paper.objective.constraint, paper.objective.clip_value) == ("clip", 0.01)
    assert (paper.optim.name, paper.optim.lr_critic, paper.train.critic_warmup) == ("rmsprop", 5e-5, True)
    gp = configuration.load(preset="wgan-gp-paper")
    assert (gp.objective.penalty_weight, gp.optim.betas, gp.train.critic_iters) == (10.0, (0.0, 0.9), 5)
    toy = configuration.load(preset="wgan-gp-toy")
    assert (toy.objective.penalty_weight, toy.train.batch_size, toy.model.width) == (0.1, 256, 512)


def test_every_preset_is_a_valid_run_and_has_a_description():
    for name, preset in PRESETS.items():
        assert preset.name == name and preset.description
        validate(configuration.load(preset=name))
