"""Config resolution: defaults <- preset <- file <- --set, typed and validated once."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from wganlab import config as configuration
from wganlab.config import ConfigError


def test_default_is_the_grid_preset():
    config = configuration.load()
    assert config.preset == "grid"
    assert config.data.name == "grid"
    assert config.objective.loss == "wasserstein" and config.objective.penalty == "gp"


def test_overrides_parse_toml_values_and_bare_words():
    config = configuration.load(
        overrides=[
            "train.steps=7",
            "objective.penalty_weight=2",
            "data.name=ring",
            'optim.name="rmsprop"',
            "optim.betas=[0.0, 0.99]",
            "train.critic_warmup=true",
        ]
    )
    assert config.train.steps == 7
    assert config.objective.penalty_weight == 2.0 and isinstance(config.objective.penalty_weight, float)
    assert config.data.name == "ring" and config.optim.name == "rmsprop"
    assert config.optim.betas == (0.0, 0.99) and config.train.critic_warmup is True


def test_file_then_overrides_then_steps(tmp_path: Path):
    path = tmp_path / "run.toml"
    path.write_text('preset = "gan-ns"\n[train]\nsteps = 11\nbatch_size = 32\n[data]\nname = "ring"\n')
    config = configuration.load(path, overrides=["train.batch_size=16"], steps=5)
    assert config.preset == "gan-ns" and config.objective.loss == "non-saturating"
    assert (config.train.steps, config.train.batch_size, config.data.name) == (5, 16, "ring")


def test_round_trip_through_dict():
    config = configuration.load(preset="wgan-paper", overrides=["train.steps=3"])
    assert configuration.from_dict(configuration.to_dict(config)) == config


@pytest.mark.parametrize(
    ("overrides", "preset", "message"),
    [
        (["train.stepz=3"], None, "unknown config key train.stepz"),
        (["trian.steps=3"], None, "unknown config section [trian]"),
        (["train.steps=three"], None, "train.steps in --set must be int"),
        (["train.steps=1.5"], None, "train.steps in --set must be int"),
        (["train.critic_warmup=1"], None, "must be bool"),
        (["optim.betas=[0.5]"], None, "optim.betas"),
        (["objective.penalty_weight=-1"], None, "penalty_weight (lambda) must be >= 0"),
        (["objective.constraint=clip", "objective.clip_value=0"], None, "clip_value (c) must be > 0"),
        (["train.critic_iters=0"], None, "critic_iters (n_critic) must be in [1, 10,000] (in --set)"),
        (["objective.penalty_final=1.5"], None, "objective.penalty_final must be in [0, 1]"),
        (["optim.lr_final=-0.1"], None, "optim.lr_final must be in [0, 1]"),
        ([], "wgan-gp-papr", "unknown preset 'wgan-gp-papr'"),
        (["steps=3"], None, "not of the form section.key=value"),
    ],
)
def test_user_errors_name_the_problem(overrides, preset, message):
    with pytest.raises(ConfigError) as error:
        configuration.load(preset=preset, overrides=overrides)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_missing_and_broken_files(tmp_path: Path):
    with pytest.raises(ConfigError, match="does not exist"):
        configuration.load(tmp_path / "nope.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[train\nsteps = 3\n")
    with pytest.raises(ConfigError, match="not valid UTF-8 TOML"):
        configuration.load(broken)
    deep = "[" * 100_000 + "]" * 100_000  # tomllib: a RecursionError
    broken.write_text(f"[train]\nsteps = {deep}\n")
    with pytest.raises(ConfigError, match="nests lists or tables too deeply to read"):
        configuration.load(broken)
    with pytest.raises(ConfigError, match=r"train.steps in --set must be int, got '\[\[\[.*characters\) \(str\)$"):
        configuration.load(overrides=[f"train.steps={deep}"])  # read as a bare word, as unreadable TOML is


def test_typed_values_are_checked_like_overrides():
    config = configuration.with_values(configuration.load(), {"train.steps": 7, "eval.metrics": ["fid", "kid"]})
    assert config.train.steps == 7 and config.eval.metrics == ("fid", "kid")
    assert configuration.with_values(config, {"eval.metrics": "is,pr"}).eval.metrics == ("is", "pr")
    for values, message in [
        ({"train.steps": "7"}, "train.steps in the given values must be int"),
        ({"train.steps": 0}, r"train.steps must be in \[1, 1,000,000,000\]"),
        ({"train.stepz": 1}, "unknown config key train.stepz"),
        ({"steps": 1}, "is not a section.key name"),
        ({"optim.decay_steps": -1}, r"optim.decay_steps must be in \[0, 1,000,000,000\]"),
        ({"train.generator_batch_size": -1}, "train.generator_batch_size must be >= 0"),
    ]:
        with pytest.raises(ConfigError, match=message):
            configuration.with_values(config, values)


def test_names_are_left_to_validation():
    # config.py knows keys, types and ranges; which names exist is for the parts' tables (test_validation.py)
    config = configuration.load(overrides=["data.name=moons"])
    assert config.data.name == "moons"


@pytest.mark.parametrize("device", ["cuda:x", "tpu", "cuda:", "cuda:12345", " cpu", "CPU", "cuda:1 ", "cuda:\u0663",
                                    "cuda:\uff11", "AUTO"])  # Arabic-Indic 3, fullwidth 1: digits to \d, not to torch
def test_the_device_form_is_checked_for_every_config_new_or_saved(device: str):
    saved = configuration.to_dict(configuration.load())
    saved["train"]["device"] = device
    for make in (
        lambda: configuration.from_dict(saved),
        lambda: configuration.with_values(configuration.load(), {"train.device": device}),
    ):
        with pytest.raises(ConfigError, match=r"train.device .* is not a device; use \"auto\", \"cpu\"") as error:
            make()
        assert "\n" not in str(error.value)
    for good in ("cpu", "cuda", "cuda:0", "cuda:9999"):  # whether this machine has it: training/validation.py
        saved["train"]["device"] = good
        assert configuration.from_dict(saved).train.device == good


def test_a_long_value_is_cut_short_in_every_error_that_shows_it():
    """A pasted text of thousands of characters is shown as its start and its length, in one line."""
    for text, message in [(f'"{"x" * 5000}\\n"', "data.root in --set must be one line of text, got 'xxx"),
                          (f"[{'1, ' * 2000}1]", "data.root in --set must be str, got [1, 1, 1")]:
        with pytest.raises(ConfigError) as error:
            configuration.load(overrides=[f"data.root={text}"])
        line = str(error.value)
        assert line.startswith(message) and "characters)" in line and len(line) < 250 and "\n" not in line, line


@pytest.mark.parametrize(("key", "value"), [("width", configuration.MAX_WIDTH), ("width", configuration.MAX_WIDTH + 1),
                                            ("latent_dim", configuration.MAX_WIDTH + 1), ("latent_dim", 0),
                                            ("depth", configuration.MAX_DEPTH + 1), ("depth", 0), ("depth", 1)])
def test_network_in_bounds_is_what_a_new_config_of_that_model_may_hold(key: str, value: int):
    config = configuration.load()
    model = dataclasses.replace(config.model, **{key: value})
    try:
        configuration.with_values(config, {f"model.{key}": value})
        accepted = True
    except ConfigError:
        accepted = False
    assert configuration.network_in_bounds(model) is accepted
