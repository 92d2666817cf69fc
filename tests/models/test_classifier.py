"""The Classifier network and its training, saving and loading."""

from __future__ import annotations

import pytest
import torch

from wganlab.classifier_training import (
    evaluate_accuracy,
    load_classifier,
    random_shift,
    save_classifier,
    split_indices,
    train_classifier,
)
from wganlab.errors import UserError
from wganlab.models.classifier import Classifier


@pytest.mark.parametrize(("channels", "size"), [(1, 8), (1, 28), (3, 32), (3, 9)])
def test_shapes_for_any_size_from_8(channels: int, size: int) -> None:
    model = Classifier(channels, size, num_classes=7, feature_dim=5)
    images = torch.rand(4, channels, size, size) * 2 - 1
    assert model.features(images).shape == (4, 5)
    assert model(images).shape == (4, 7)


def test_too_small_images_are_a_user_error() -> None:
    with pytest.raises(UserError, match="size >= 8"):
        Classifier(1, 7)


def test_features_do_not_depend_on_the_rest_of_the_batch() -> None:
    torch.manual_seed(0)
    model = Classifier(1, 8).eval()
    images = torch.rand(10, 1, 8, 8) * 2 - 1
    torch.testing.assert_close(model.features(images)[:3], model.features(images[:3]), rtol=0, atol=1e-6)


def test_split_is_the_data_loaders_digits_split() -> None:
    train, held_out = split_indices(1797, 360 / 1797, split_seed=0)
    order = torch.randperm(1797, generator=torch.Generator().manual_seed(0))
    assert torch.equal(train, order[:1437]) and torch.equal(held_out, order[1437:])


def test_random_shift_moves_a_pixel_by_at_most_one_and_fills_with_background() -> None:
    image = torch.full((200, 1, 5, 5), -1.0)
    image[:, :, 2, 2] = 1.0
    shifted = random_shift(image, 1, torch.Generator().manual_seed(0))
    positions = (shifted[:, 0] == 1.0).nonzero()[:, 1:]  # [200, 2]
    assert len(positions) == 200 and ((positions - 2).abs() <= 1).all()
    assert len({tuple(p.tolist()) for p in positions}) == 9  # all nine shifts occur
    assert (shifted != 1.0).sum() == 200 * 24 and (shifted[shifted != 1.0] == -1.0).all()


def blobs(count: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Three separable classes: a bright square in one of three corners of a noisy 8x8 image."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 3, (count,), generator=generator)
    images = -1 + 0.3 * torch.rand(count, 1, 8, 8, generator=generator)
    for label, (row, col) in enumerate([(0, 0), (0, 5), (5, 0)]):
        images[labels == label, :, row : row + 3, col : col + 3] = 1.0
    return images, labels


def test_train_classifier_learns_a_separable_problem_quickly() -> None:
    images, labels = blobs(300, seed=1)
    model, report = train_classifier(images, labels, epochs=4, seed=0, held_out_fraction=0.2)
    assert report["held_out_size"] == 60 and report["train_size"] == 240
    assert report["num_classes"] == 3 and (report["channels"], report["size"]) == (1, 8)
    assert report["held_out_accuracy"] >= 0.95
    fresh_images, fresh_labels = blobs(200, seed=2)
    assert evaluate_accuracy(model, fresh_images, fresh_labels) >= 0.95


def test_training_is_reproducible_from_the_seed() -> None:
    images, labels = blobs(100, seed=3)
    first, _ = train_classifier(images, labels, epochs=1, seed=5)
    second, _ = train_classifier(images, labels, epochs=1, seed=5)
    for a, b in zip(first.state_dict().values(), second.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_save_load_round_trip(tmp_path) -> None:
    torch.manual_seed(0)
    model = Classifier(3, 16, num_classes=4, feature_dim=12).eval()
    report = {"held_out_accuracy": 0.5, "seed": 1}
    path = tmp_path / "classifier.pt"
    save_classifier(path, model, report)
    assert [p.name for p in tmp_path.iterdir()] == ["classifier.pt"]  # no temp file left behind
    loaded, loaded_report = load_classifier(path)
    assert loaded_report == report
    assert (loaded.channels, loaded.size, loaded.num_classes, loaded.feature_dim) == (3, 16, 4, 12)
    images = torch.rand(5, 3, 16, 16) * 2 - 1
    torch.testing.assert_close(loaded(images), model(images), rtol=0, atol=0)


def write_truncated(tmp_path):
    path = tmp_path / "good.pt"
    save_classifier(path, Classifier(1, 8), {})
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return truncated


def write_foreign(tmp_path):
    path = tmp_path / "foreign.pt"
    torch.save({"model": torch.zeros(3)}, path)
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda tmp_path: tmp_path / "missing.pt", "not found"),
        (write_truncated, "cannot read"),
        (write_foreign, "not a wganlab classifier file"),
    ],
)
def test_load_classifier_rejects_bad_files_in_one_line(tmp_path, make, message) -> None:
    with pytest.raises(UserError, match=message) as caught:
        load_classifier(make(tmp_path))
    assert "\n" not in str(caught.value) and "save_classifier" in str(caught.value)


def test_held_out_fraction_must_leave_a_training_set() -> None:
    with pytest.raises(UserError, match="held_out_fraction"):
        split_indices(10, 1.0, 0)
