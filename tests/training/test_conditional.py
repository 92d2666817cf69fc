"""Class-conditional runs: resumed bitwise, their samples made for the classes they say, their accuracy measured
against those classes, the probe per class, and what is not supported yet refused in one line."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from tests.bitwise import unbroken_and_resumed
from tests.hostile import refused
from tests.tiny import DIGITS
from wganlab import cli, load_generator
from wganlab import config as configuration
from wganlab.config import Config
from wganlab.errors import ConfigError
from wganlab.metrics.images import FeatureSet, image_metrics
from wganlab.models.sampling import requested_labels
from wganlab.training.validation import validate

COND = [*DIGITS, "--set", "model.conditioning=projection"]


@pytest.mark.parametrize("conditioning, sampling", [("projection", "uniform"), ("acgan", "data")])
def test_a_conditional_run_resumed_ends_bitwise_equal_to_an_unbroken_one(tmp_path, conditioning, sampling) -> None:
    argv = [*DIGITS, "--set", f"model.conditioning={conditioning}", "--set", f"train.label_sampling={sampling}",
            "--set", "train.checkpoint_every=6", "--set", "eval.every=6"]
    a, b = unbroken_and_resumed(tmp_path, argv, 12)
    (folder,) = (tmp_path / "parts").iterdir()
    for network in ("generator", "critic", "generator_ema"):
        assert a[network].keys() == b[network].keys()
        for name, tensor in a[network].items():
            assert torch.equal(tensor, b[network][name]), (network, name)
    assert any("embed" in name or "gain" in name for name in a["generator"])  # a conditional generator it was
    saved = json.loads((folder / "config.json").read_text())
    assert saved["model"]["classes"] == 10  # the data's class count, written in at start
    if conditioning == "acgan":
        stats = [json.loads(line) for line in (folder / "stats.jsonl").read_text().splitlines()]
        assert "critic/classifier_loss" in stats[-1] and "generator/classifier_loss" in stats[-1]


def test_a_conditional_generator_makes_sample_i_for_class_i_mod_k_and_is_measured_against_it(tmp_path) -> None:
    argv = [*COND, "--set", "eval.metrics=[\"accuracy\", \"fid\"]", "--set", "eval.diagnostics=true"]
    assert cli.main(["train", *argv, "--steps", "4", "--outdir", str(tmp_path)]) == 0
    (folder,) = tmp_path.iterdir()
    trained = load_generator(folder)
    images = trained.sample(23, seed=5)
    latents = torch.randn(23, trained.latent_dim, generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        by_hand = trained.module(latents, torch.arange(23) % 10)
    assert torch.equal(images, by_hand)
    (metrics,) = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
    per_class = [metrics[f"classifier_accuracy_class{k}_120"] for k in range(10)]
    assert metrics["classifier_accuracy_120"] == pytest.approx(np.mean(per_class))
    assert "class i mod 10" in metrics["protocol"]["labels"]
    probes = [json.loads(line) for line in (folder / "diagnostics.jsonl").read_text().splitlines()]
    assert all(np.isfinite(probes[-1][key]) for key in ("lipschitz/real", "lipschitz/fake", "critic/heldout_gap"))


def test_classifier_accuracy_is_the_mean_of_the_per_class_accuracies() -> None:
    labels = np.array([0, 1, 2, 0, 1, 2, 0, 1])  # classes 0 and 1 three times, class 2 twice
    predicted = np.array([0, 1, 0, 0, 2, 2, 0, 1])  # class 0: 3/3, class 1: 2/3, class 2: 1/2
    probabilities = np.eye(3)[predicted][:, None, :]  # [N, 1, K]
    fake = FeatureSet(None, probabilities, size=len(labels), labels=labels)
    measured = image_metrics(fake, fake, ("accuracy",))
    assert measured["classifier_accuracy_class0_8"] == 1.0
    assert measured["classifier_accuracy_class1_8"] == pytest.approx(2 / 3)
    assert measured["classifier_accuracy_class2_8"] == 0.5
    assert measured["classifier_accuracy_8"] == pytest.approx((1 + 2 / 3 + 0.5) / 3)  # not 6/8, the pooled count
    unknown = FeatureSet(None, probabilities, size=len(labels))  # files of images: no labels, nothing measured
    assert image_metrics(unknown, unknown, ("accuracy",)) == {}
    assert requested_labels(12, 5).tolist() == [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1]


def test_an_unconditional_run_is_measured_against_assigned_labels_as_the_chance_line(tmp_path) -> None:
    argv = [*DIGITS, "--set", "eval.metrics=[\"accuracy\"]"]
    assert cli.main(["train", *argv, "--steps", "2", "--outdir", str(tmp_path)]) == 0
    (metrics,) = [json.loads(line) for line in next(tmp_path.glob("*/metrics.jsonl")).read_text().splitlines()]
    assert "chance" in metrics["protocol"]["labels"] and 0 <= metrics["classifier_accuracy_120"] <= 1


def _config(*values: str) -> Config:
    return configuration.load(preset="digits-cond", overrides=list(values))


@pytest.mark.parametrize("values, says", [
    (("model.arch=sngan-cnn",), "has no variant for model.arch 'sngan-cnn'"),
    (("model.conditioning=concat",), "has no variant for model.arch 'dcgan'"),
    (("data.stack=3",), "one label per image"),
    (("model.conditioning=none", "train.label_sampling=data"), "are for class-conditional runs"),
    (("model.conditioning=none", "model.classes=10"), "are for class-conditional runs"),
    (("train.label_sampling=dataset",), "unknown train.label_sampling 'dataset'; did you mean 'data'"),
])
def test_what_conditioning_cannot_do_is_refused_in_one_line(values, says) -> None:
    with pytest.raises(ConfigError, match=says):
        validate(_config(*values))


def test_a_conditional_run_on_2d_data_is_refused() -> None:
    with pytest.raises(ConfigError, match="needs labelled images"):
        validate(configuration.load(overrides=["model.conditioning=concat"]))


def test_a_conditional_torchrun_or_sweep_is_refused_in_one_line(tmp_path, capsys) -> None:
    validate(_config(), world=1)
    with pytest.raises(ConfigError, match="train in one process for now: run wganlab train without torchrun"):
        validate(_config(), world=2)
    line = refused(["sweep", *COND, "--steps", "2", "--seeds", "0-1", "--outdir", str(tmp_path)], capsys)
    assert "wganlab sweep does not train class-conditional runs yet" in line
    line = refused(["sweep", *DIGITS, "--grid", "model.conditioning=none,acgan", "--steps", "2", "--outdir",
                    str(tmp_path)], capsys)
    assert "wganlab sweep does not train class-conditional runs yet" in line


def test_conditional_training_on_unlabelled_images_is_refused_in_one_line(tmp_path, capsys) -> None:
    images = tmp_path / "images.npy"
    np.save(images, np.zeros((20, 1, 8, 8), dtype=np.uint8))
    line = refused(["train", *COND, "--set", "data.name=npz", "--set", f"data.root={images}", "--steps", "2",
                    "--outdir", str(tmp_path / "out")], capsys)
    assert "needs labelled data" in line and "model.conditioning" in line
    labelled = tmp_path / "labelled.npz"
    np.savez(labelled, images=np.zeros((20, 1, 8, 8), dtype=np.uint8), labels=np.arange(20) % 4)
    line = refused(["train", *COND, "--set", "data.name=npz", "--set", f"data.root={labelled}", "--set",
                    "model.classes=3", "--steps", "2", "--outdir", str(tmp_path / "out")], capsys)
    assert "model.classes = 3 cannot hold" in line


def test_the_probe_scores_each_classs_own_points_with_its_label() -> None:
    """A critic that scores 1 exactly where x is an image of class y: the probe's training and held-out points of
    each class, scored with that class's label, all score 1."""
    from wganlab.data.datasets import build_dataset
    from wganlab.training.build import objective_of
    from wganlab.training.probing import build_prober

    config = configuration.with_values(_config(), {"model.classes": 10})
    data = build_dataset(config.data, 0)
    held_out = build_dataset(configuration.with_values(config, {"data.split": "test"}).data, 0)
    images = torch.cat([data.images, held_out.images]).flatten(1).double()
    labels = torch.cat([data.labels, held_out.labels])

    class OwnClass(torch.nn.Module):
        classes = 10

        def __init__(self) -> None:
            super().__init__()
            self.weight = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))

        def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            flat = x.flatten(1).double()
            same = (torch.cdist(flat, images) < 1e-9) & (labels[None, :] == y[:, None])  # [n, rows]
            return same.any(dim=1, keepdim=True).double() + self.weight * flat.sum(1, keepdim=True)

    class Constant(torch.nn.Module):  # a generator of the right shape
        classes = 10

        def __init__(self) -> None:
            super().__init__()
            self.weight = torch.nn.Parameter(torch.zeros(1))

        def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            return torch.zeros(len(z), 1, 8, 8) + self.weight

    prober = build_prober(config, data, objective_of(config))
    record = prober.probe(Constant(), OwnClass(), seed=3)
    assert record["critic/train_score"] == 1.0 and record["critic/heldout_score"] == 1.0


@pytest.mark.parametrize("labels, says", [
    (np.zeros(20, dtype=np.int64), "at least 2 classes"),
    (np.arange(20) % 4 * 2, "none of class 1, 3, 5"),  # labels 0, 2, 4, 6: classes 1, 3, 5 have no images
])
def test_classes_without_images_are_refused_in_one_line(tmp_path, capsys, labels, says) -> None:
    path = tmp_path / "labelled.npz"
    np.savez(path, images=np.zeros((20, 1, 8, 8), dtype=np.uint8), labels=labels)
    line = refused(["train", *COND, "--set", "data.name=npz", "--set", f"data.root={path}", "--steps", "2",
                    "--outdir", str(tmp_path / "out")], capsys)
    assert says in line


def test_accuracy_on_inception_features_is_refused_in_one_line(tmp_path, capsys) -> None:
    line = refused(["train", *COND, "--set", "eval.extractor=inception", "--set", "eval.metrics=[\"accuracy\"]",
                    "--steps", "2", "--outdir", str(tmp_path)], capsys)
    assert "Inception's classes are ImageNet's" in line


def test_a_conditional_generator_called_without_labels_says_so_in_one_line(tmp_path) -> None:
    assert cli.main(["train", *COND, "--steps", "2", "--set", "eval.every=0", "--outdir", str(tmp_path)]) == 0
    trained = load_generator(next(tmp_path.iterdir()))
    with pytest.raises(TypeError, match=r"takes labels beside its input: call it as network\(z, y\)"):
        trained.module(torch.zeros(2, trained.latent_dim))
