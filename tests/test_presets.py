"""The presets: each resolves to a valid config carrying its values, and the published recipes are as published."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from tests.data.conftest import write_cifar, write_idx
from wganlab import config as configuration
from wganlab.cli import main
from wganlab.config_values import parse_overrides
from wganlab.presets import PRESETS
from wganlab.presets_r3gan import R3GAN_OBJECTIVE
from wganlab.runlogs import read_run
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


IMAGE_PRESETS = ["wgan-gp-mnist", "wgan-gp-cifar", "sngan-cifar", "dcgan", "wgan-dcgan"]
# narrower networks and smaller batches than the recipes, so that 60 generator steps take seconds
SMALL = {"mnist-conv": 4, "resnet": 8, "sngan-cnn": 4, "dcgan-paper": 4}


def test_image_recipes_are_the_published_ones():
    mnist = configuration.load(preset="wgan-gp-mnist")
    assert (mnist.model.arch, mnist.model.width, mnist.model.latent_dim, mnist.train.batch_size) == (
        "mnist-conv", 64, 128, 50)
    assert (mnist.objective.penalty_weight, mnist.optim.lr_critic, mnist.optim.betas) == (10.0, 1e-4, (0.5, 0.9))
    cifar = configuration.load(preset="wgan-gp-cifar")
    assert (cifar.model.arch, cifar.model.width, cifar.optim.lr_critic, cifar.optim.betas) == (
        "resnet", 128, 2e-4, (0.0, 0.9))
    assert (cifar.optim.lr_decay, cifar.optim.decay_steps, cifar.train.steps) == ("linear", 100_000, 100_000)
    assert (cifar.train.batch_size, cifar.train.generator_batch_size, cifar.train.critic_iters) == (64, 128, 5)
    sngan = configuration.load(preset="sngan-cifar")
    assert (sngan.objective.loss, sngan.objective.constraint) == ("hinge", "spectral-norm")
    assert sngan.model.arch == "sngan-cnn"
    clipped = configuration.load(preset="wgan-dcgan")
    assert (clipped.objective.clip_value, clipped.optim.name, clipped.train.critic_warmup) == (0.01, "rmsprop", True)
    images = [*IMAGE_PRESETS, "digits", "r3gan-digits", "digits-cond"]
    assert all(PRESETS[name].for_images for name in images)
    assert not any(preset.for_images for name, preset in PRESETS.items() if name not in images)


def _files(root: Path, data: str) -> None:
    """A few images of the data set, in its real file format (MNIST IDX, CIFAR-10 python batches)."""
    rng = np.random.default_rng(0)
    if data == "mnist":
        for prefix, count in (("train", 40), ("t10k", 20)):
            write_idx(root, prefix, rng.integers(0, 256, (count, 28, 28)), rng.integers(0, 10, count))
        return
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        write_cifar(root, name, rng.integers(0, 256, (8, 3072)), [int(label) for label in rng.integers(0, 10, 8)])


@pytest.mark.parametrize("name", IMAGE_PRESETS)
def test_each_image_preset_trains_60_steps_on_files_in_its_data_sets_format(name, tmp_path, capsys):
    config = configuration.load(preset=name)
    _files(tmp_path / "data", config.data.name)
    generator_batch = ["--set", "train.generator_batch_size=8"] if config.train.generator_batch_size else []
    settings = ["--set", f"data.root={json.dumps(str(tmp_path / 'data'))}", "--set", "train.batch_size=4",
                "--set", f"model.width={SMALL[config.model.arch]}", "--set", "eval.image_samples=16",
                "--set", "eval.every=0", "--set", "train.checkpoint_every=60", *generator_batch]
    assert main(["train", "--preset", name, "--steps", "60", *settings, "--outdir", str(tmp_path / "runs")]) == 0
    run = read_run(next((tmp_path / "runs").iterdir()))
    assert run.step == 60 and run.config.model.arch == config.model.arch
    assert run.figures and run.diagnostics and math.isfinite(run.stats[-1]["critic/loss"])
    assert "lr/generator" in run.stats[-1]


def test_dry_run_shows_the_official_networks_and_their_parameter_counts(tmp_path, capsys):
    assert main(["train", "--preset", "wgan-gp-mnist", "--set", "data.root=nowhere", "--dry-run"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["model"]["arch"] == "mnist-conv"  # stdout stays the config
    assert "generator (MNISTConvGenerator): 1,554,177 parameters" in err
    assert "critic (MNISTConvCritic): 1,030,145 parameters" in err
    assert main(["train", "--preset", "wgan-gp-cifar", "--dry-run"]) == 0
    err = capsys.readouterr().err
    assert "generator (ResNetGenerator): 1,204,483 parameters" in err and "1,053,825 parameters" in err


def test_the_r3gan_presets_carry_its_settings():
    """RpGAN + R1 + R2 every step, one critic step, Adam (0, 0.99), gamma and rates decaying on a half cosine over
    the preset's own steps (R3GAN: 2e-4 -> 5e-5, gamma 0.05 -> 0.005)."""
    for name in ("r3gan-toy", "r3gan-digits"):
        config = configuration.load(preset=name)
        o, p, t = config.objective, config.optim, config.train
        assert (o.loss, o.penalty, o.penalty_decay, o.penalty_final) == ("rpgan", "r1+r2", "cosine", 0.1)
        assert (p.name, p.betas, p.lr_critic, p.lr_generator, p.lr_decay, p.lr_final) == (
            "adam", (0.0, 0.99), 2e-4, 2e-4, "cosine", 0.25)
        assert t.critic_iters == 1 and t.generator_batch_size == 0 and p.decay_steps == t.steps
    assert configuration.load(preset="r3gan-digits").objective.penalty_weight == 0.05 / 2  # CIFAR-10's gamma


def _r3gan_sets() -> list[str]:
    """R3GAN_OBJECTIVE as the README's --set arguments."""
    return [f"{section}.{key}={json.dumps(value)}" for section, values in R3GAN_OBJECTIVE.items()
            for key, value in values.items()]


def test_the_readme_s_r3gan_command_sets_what_the_presets_use():
    """Every key of R3GAN_OBJECTIVE, with its value, and nothing else: the README's command is the overlay."""
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    command = readme[readme.index("wganlab train --preset wgan-gp-cifar --set objective.loss=rpgan"):]
    command = command[: command.index("\n\n")].replace("\\\n", " ")
    settings = parse_overrides([part.strip().strip('"') for part in command.split(" --set ")[1:]])
    assert settings == R3GAN_OBJECTIVE


@pytest.mark.parametrize("name", [*IMAGE_PRESETS, "digits"])
def test_the_r3gan_objective_trains_on_every_image_preset_by_set(name, tmp_path, capsys):
    config = configuration.load(preset=name)
    _files(tmp_path / "data", config.data.name)
    settings = [item for setting in _r3gan_sets() for item in ("--set", setting)]
    if config.model.critic_norm == "batch":  # R1 and R2 are per-sample penalties: refused beside BatchNorm
        settings += ["--set", "model.critic_norm=layer"]
    small = SMALL.get(config.model.arch, 8)
    settings += ["--set", f"data.root={json.dumps(str(tmp_path / 'data'))}", "--set", "train.batch_size=4",
                 "--set", f"model.width={small}", "--set", "eval.image_samples=16", "--set", "eval.every=0",
                 "--set", "eval.diagnostics=false", "--set", "eval.figures=false"]
    assert main(["train", "--preset", name, "--steps", "20", *settings, "--outdir", str(tmp_path / "runs")]) == 0
    run = read_run(next((tmp_path / "runs").iterdir()))
    assert (run.config.objective.loss, run.config.objective.penalty, run.step) == ("rpgan", "r1+r2", 20)
    assert all(math.isfinite(record["critic/penalty"]) for record in run.stats)
