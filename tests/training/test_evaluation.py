"""Evaluators: toy metrics by seed, extractors resolved and checked at build time but built on first use."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest
import torch
from torch import nn

from tests.training.conftest import config_with
from wganlab import config as configuration
from wganlab.data.images import ImageData, load_images
from wganlab.data.stacked import StackedImages
from wganlab.errors import UserError
from wganlab.metrics import inception
from wganlab.metrics.features import EXTRACTORS
from wganlab.objectives.losses import mean_difference
from wganlab.parts import Parts
from wganlab.training import evaluation
from wganlab.training.build import build
from wganlab.training.evaluation import (
    ImageEvaluator,
    ToyEvaluator,
    build_evaluator,
    choose_extractor,
)

PNG = b"\x89PNG\r\n\x1a\n"
TOY = ["model.width=16", "model.depth=1", "train.batch_size=32", "eval.samples=200", "eval.w1_samples=100"]


pytestmark = pytest.mark.usefixtures("feature_cache")


# --- toy evaluator ---------------------------------------------------------------------------------------------


def _rng_states(*generators: torch.Generator) -> list[torch.Tensor]:
    return [generator.get_state() for generator in generators] + [torch.get_rng_state()]


def test_toy_evaluator_metrics_have_their_keys_and_repeat_for_a_seed(tmp_path: Path) -> None:
    run, state = build(configuration.load(None, "grid", TOY))
    assert isinstance(run.evaluator, ToyEvaluator)
    training_rngs = _rng_states(state.rng, state.data_rng)
    first = run.evaluator.measure(state.sampler, state.critic, seed=5)
    again = run.evaluator.measure(state.sampler, state.critic, seed=5)
    other = run.evaluator.measure(state.sampler, state.critic, seed=6)
    assert set(first.metrics) == {
        "w1_100",
        "critic_estimate",
        "nonfinite_samples",
        "modes_200",
        "total_modes",
        "hq_percent_200",
        "reverse_kl_200",
    }
    assert first.metrics == again.metrics
    assert first.metrics["w1_100"] != other.metrics["w1_100"]
    assert first.metrics["total_modes"] == 25 and first.metrics["nonfinite_samples"] == 0
    assert all(math.isfinite(value) for value in first.metrics.values())
    # measuring draws from its own generator: the run's streams are where they were
    for before, after in zip(training_rngs, _rng_states(state.rng, state.data_rng), strict=True):
        assert torch.equal(before, after)
    first.draw(tmp_path / "toy.png", "step 0")
    assert (tmp_path / "toy.png").read_bytes()[:8] == PNG


# --- extractor names and checks --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "extractor", "inception_here", "expected"),
    [
        ("digits", "auto", True, "digits-classifier"),  # its own classifier, even where Inception can be had
        ("digits", "auto", False, "digits-classifier"),
        ("mnist", "auto", True, "inception"),
        ("mnist", "auto", False, None),
        ("fashion-mnist", "auto", True, "inception"),
        ("cifar10", "auto", True, "inception"),
        ("cifar10", "auto", False, None),
        ("npz", "auto", True, "inception"),
        ("folder", "auto", True, "inception"),
        ("folder", "auto", False, None),
        ("mnist", "classifier", False, "classifier"),
        ("digits", "inception-v3-compat", False, "inception-v3-compat"),
    ],
)
def test_auto_is_the_data_sets_own_classifier_else_inception_where_it_can_be_had(
    data: str, extractor: str, inception_here: bool, expected: str | None, monkeypatch
) -> None:
    reason = "torch-fidelity is not installed; turn them on with: pip install 'torch-fidelity>=0.3'"
    monkeypatch.setattr(inception, "unavailable", lambda: None if inception_here else reason)
    choice = choose_extractor(config_with(**{"data.name": data, "eval.extractor": extractor}))
    assert choice.name == expected
    assert (choice.reason == reason) == (expected is None)  # none: why, and what turns metrics on


def test_auto_on_stacked_data_without_a_classifier_of_its_own_measures_nothing_and_says_how(monkeypatch) -> None:
    monkeypatch.setattr(inception, "unavailable", lambda: None)  # Inception would be there: stacked data need a
    # classifier per channel (the Stacked MNIST protocol)
    choice = choose_extractor(config_with(**{"data.name": "mnist", "data.stack": 3}))
    assert choice.name is None and "wganlab classifier train" in choice.reason
    assert choose_extractor(config_with(**{"data.name": "digits", "data.stack": 3})).name == "digits-classifier"


def test_given_inception_weights_need_no_fetch(monkeypatch) -> None:
    monkeypatch.setattr(inception, "unavailable", lambda: pytest.fail("looked for weights it was given"))
    config = config_with(**{"data.name": "cifar10", "eval.extractor_weights": "inception.pth"})
    assert choose_extractor(config).name == "inception"


def _images(*shape: int) -> ImageData:
    return ImageData("npz", "memory", torch.zeros(4, *shape), None)


@pytest.mark.parametrize("shape", [(3, 8, 8), (1, 16, 16), (1, 8, 9)])
def test_build_evaluator_refuses_an_extractor_of_another_shape_in_one_line(shape: tuple[int, ...]) -> None:
    config = config_with(**{"data.name": "npz", "eval.extractor": "digits-classifier"})
    with pytest.raises(UserError) as error:
        build_evaluator(config, _images(*shape), mean_difference)
    message = str(error.value)
    assert len(message.splitlines()) == 1
    assert "'digits-classifier'" in message and "(1, 8, 8)" in message and str(shape) in message


def test_build_evaluator_accepts_matching_and_stacked_images() -> None:
    config = config_with(**{"data.name": "npz", "eval.extractor": "digits-classifier"})
    assert build_evaluator(config, _images(1, 8, 8), mean_difference).extractor_name == "digits-classifier"
    stacked = StackedImages(_images(1, 8, 8), 3)  # (3, 8, 8), each channel a (1, 8, 8) digit
    assert build_evaluator(config, stacked, mean_difference).extractor_name == "digits-classifier"
    # no metrics: no extractor, sample grids only, any shape
    grids_only = build_evaluator(config_with(**{"data.name": "npz", "eval.metrics": []}), _images(3, 5, 7),
                                 mean_difference)
    assert isinstance(grids_only, ImageEvaluator) and grids_only.extractor_name is None


def test_build_evaluator_checks_the_weights_file_in_one_line() -> None:
    config = config_with(**{"data.name": "npz", "eval.extractor": "classifier"})
    with pytest.raises(UserError) as error:
        build_evaluator(config, _images(1, 8, 8), mean_difference)
    assert "needs a weights file" in str(error.value) and len(str(error.value).splitlines()) == 1


# --- image evaluator -------------------------------------------------------------------------------------------


@pytest.fixture
def counted(monkeypatch) -> list[str]:
    """The real digits-classifier entry, with every build of the extractor recorded."""
    builds: list[str] = []
    entry = EXTRACTORS["digits-classifier"]

    def make(weights, device):
        builds.append(device)
        return entry.make(weights, device)

    monkeypatch.setattr(evaluation, "EXTRACTORS", Parts("eval.extractor", [dataclasses.replace(entry, make=make)]))
    return builds


def _digit_sampler() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 64), nn.Tanh(), nn.Unflatten(1, (1, 8, 8)))


def test_image_evaluator_builds_its_extractor_on_first_use(tmp_path: Path, counted: list[str]) -> None:
    digits = load_images("digits")
    values = {"data.name": "digits", "model.latent_dim": 4, "eval.image_samples": 100}
    evaluator = build_evaluator(config_with(**values, **{"eval.metrics": []}), digits, mean_difference)
    assert counted == []
    grids = evaluator.measure(_digit_sampler(), nn.Linear(1, 1), seed=1)  # no metrics asked for
    assert grids.metrics == {} and counted == []
    grids.draw(tmp_path / "grid.png", "step 1")
    assert (tmp_path / "grid.png").read_bytes()[:8] == PNG and counted == []

    measuring = build_evaluator(config_with(**values, **{"eval.metrics": ["fid", "modes"]}), digits, mean_difference)
    assert counted == []  # built, its extractor not yet
    first = measuring.measure(_digit_sampler(), nn.Linear(1, 1), seed=1)
    assert counted == ["cpu"]
    again = measuring.measure(_digit_sampler(), nn.Linear(1, 1), seed=1)
    assert counted == ["cpu"]  # built once, then kept
    assert set(first.metrics) == {"fid_100", "modes_100", "total_modes", "reverse_kl_100"}
    assert first.metrics == again.metrics and first.metrics["total_modes"] == 10
    assert first.protocol == {
        "extractor": "digits-classifier",
        "weights": measuring.extractor.weights_id,
        "fake_samples": 100,
        "real_samples": 1437,
        "real": "digits train",
    }
