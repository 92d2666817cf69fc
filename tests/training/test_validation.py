"""Validation against the parts a config names (training/validation.py): unknown names, unavailable devices,
combinations that make no sense; and its tables, CHOSEN_BY and KINDS: each key a config field, each name its entry's,
each table listed."""

from __future__ import annotations

import dataclasses
import re

import pytest

from wganlab import config as configuration
from wganlab.config import Config, ConfigError
from wganlab.data.images import IMAGE_DATASETS
from wganlab.data.toy import TOY_DATASETS
from wganlab.metrics.features import AUTO, EXTRACTORS
from wganlab.presets import PRESETS
from wganlab.training.validation import CHOSEN_BY, KINDS, validate, validate_measurement


def check(*overrides: str, preset: str | None = None) -> None:
    validate(configuration.load(preset=preset, overrides=list(overrides)))


@pytest.mark.parametrize("preset", ["grid", "digits", "wgan-paper", "r1", "sngan", "gan-ns"])
def test_every_preset_is_valid(preset: str):
    check(preset=preset)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["data.name=moons"], "unknown data.name 'moons'"),
        (["data.split=validation"], "unknown data.split 'validation'"),
        (["model.arch=vgg"], "unknown model.arch 'vgg'"),
        (["model.activation=swish"], "unknown model.activation 'swish'"),
        (["model.generator_norm=layer"], "unknown model.generator_norm 'layer'"),
        (["model.critic_norm=instance"], "unknown model.critic_norm 'instance'"),
        (["objective.loss=wasserstien"], "did you mean 'wasserstein'"),
        (["objective.penalty=gradient"], "unknown objective.penalty"),
        (["objective.constraint=weightclip"], "unknown objective.constraint"),
        (["optim.name=sgd"], "unknown optim.name 'sgd'"),
        (["optim.lr_decay=cosin"], "unknown optim.lr_decay 'cosin'"),
        (['eval.metrics=["fid", "lpips"]'], "unknown eval.metrics 'lpips'"),
        (["eval.extractor=inceptoin-v3-compat"], "did you mean 'inception-v3-compat'"),
        (["train.device=tpu"], "is not a device"),
        (["train.device=cuda:99"], "is not available on this machine"),
    ],
)
def test_unknown_names_and_devices_name_the_key_and_the_choices(overrides, message):
    with pytest.raises(ConfigError, match=message) as error:
        check(*overrides)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["objective.penalty=none"], "needs a Lipschitz method"),
        (["objective.penalty_weight=0"], "does nothing"),
        (["model.arch=dcgan"], "is convolutional and needs image data; data.name 'grid' is 2-D: use a preset for "
                               "2-D data (grid, wgan-paper"),
        (["data.name=digits"], "builds the 2-D toy MLP (latent 2; preset 'grid'): use an image preset (digits, "
                               "wgan-gp-mnist"),
        (["data.stack=3"], "data.stack applies to image data only"),
        (["data.limit=10"], "data.limit applies to image data only"),
        (["data.flip=true"], "data.crop, data.resize, data.pad_to and data.flip apply to image data only"),
        (["data.crop=true"], "data.crop, data.resize, data.pad_to and data.flip apply to image data only"),
        (["data.name=digits", "model.latent_dim=16", "data.resize_filter=cubic"],
         "unknown data.resize_filter 'cubic'"),
        (["data.name=digits", "model.arch=dcgan", "model.critic_norm=batch"], "mixes samples"),
        (["objective.instance_noise_steps=10"], "instance_noise_std is 0"),
        (["objective.loss=rpgan", "train.generator_batch_size=512"],
         "objective.loss 'rpgan' pairs each generated row with the real row of the same index, so the generator's "
         "batch must be the critic's: set train.generator_batch_size = 0 (now 512, train.batch_size 256)"),
        (["objective.penalty=none", "objective.loss=rpgan", "objective.penalty_decay=cosine"],
         "objective.penalty_decay and objective.penalty_final need a penalty to decay"),
        (["objective.penalty_final=0.1"], 'objective.penalty_final is set but objective.penalty_decay is "none"'),
        (["optim.lr_decay=none", "optim.lr_final=0.25"], 'optim.lr_final is set but optim.lr_decay is "none"'),
        (["objective.penalty_decay=cosin"], "unknown objective.penalty_decay 'cosin'; did you mean 'cosine'?"),
    ],
)
def test_combinations_that_make_no_sense_are_refused(overrides, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        check(*overrides)


def test_combinations_that_are_allowed_on_purpose():
    # Clipping the optimiser's gradient is not a Lipschitz method, but measuring that is the point (claim 5).
    check("objective.penalty=none", "objective.constraint=grad-clip")
    check("data.name=digits", "model.arch=dcgan", "model.critic_norm=batch", "objective.penalty=drift")
    check("data.name=digits", "model.arch=dcgan", "model.critic_norm=layer")
    check("eval.extractor=auto")
    check("data.name=digits", "model.latent_dim=16")  # an MLP on images, as the WGAN paper's MLP experiments
    check("objective.loss=rpgan", "train.generator_batch_size=256")  # the critic's batch, given explicitly
    check("objective.loss=ragan", "train.generator_batch_size=512")  # means, no pairs: any generator batch


def test_measuring_samples_checks_only_the_data_and_eval_names():
    config = configuration.load(overrides=["data.name=digits", "model.arch=vgg"])
    validate_measurement(config)  # no model is built to measure given samples
    with pytest.raises(ConfigError, match="unknown eval.metrics 'lpips'"):
        validate_measurement(configuration.with_values(config, {"eval.metrics": ["lpips"]}))


TABLES = {**CHOSEN_BY, "preset": PRESETS, "eval.extractor": EXTRACTORS}  # every table, by the key that chooses


def field_names(cls: type) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


@pytest.mark.parametrize("key", sorted(CHOSEN_BY))
def test_every_key_names_a_config_field(key):
    section, dot, name = key.partition(".")
    assert dot and section in field_names(Config)
    assert name in field_names(type(getattr(Config(), section)))
    assert CHOSEN_BY[key].key == key  # the table's errors name the same key


@pytest.mark.parametrize("key", sorted(CHOSEN_BY))
def test_every_default_is_in_its_table(key):
    section, _, name = key.partition(".")
    default = getattr(getattr(Config(), section), name)
    for chosen in default if isinstance(default, tuple) else (default,):
        assert chosen in CHOSEN_BY[key], f"the default {key} = {chosen!r} is not in its table"


@pytest.mark.parametrize("key", sorted(TABLES))
def test_every_entry_is_filed_under_its_own_name(key):
    table = TABLES[key]
    assert len(table) > 0
    assert [entry.name for entry in table.values()] == list(table)


@pytest.mark.parametrize("key", sorted(TABLES))
def test_kinds_list_every_table(key):
    descriptions = TABLES[key].descriptions()
    listing = [kind for kind, names in KINDS.items() if descriptions.items() <= names.items()]
    assert listing, f"no kind in KINDS lists the table of {key}"


def test_every_kind_has_one_line_descriptions():
    for kind, names in KINDS.items():
        assert names, kind
        assert all(text and "\n" not in text for text in names.values()), kind


def test_names_are_unique_in_the_kinds_that_merge_tables():
    assert not set(TOY_DATASETS) & set(IMAGE_DATASETS)
    assert len(KINDS["datasets"]) == len(TOY_DATASETS) + len(IMAGE_DATASETS)
    assert AUTO not in EXTRACTORS  # "auto" is added beside the extractors, never over one
    assert len(KINDS["feature extractors"]) == len(EXTRACTORS) + 1
