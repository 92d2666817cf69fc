"""Training the Classifier: the seeded split, random shifts, learning, reproducibility."""

from __future__ import annotations

import pytest
import torch

from wganlab.errors import UserError
from wganlab.training.classifier import evaluate_accuracy, random_shift, split_indices, train_classifier


def blobs(count: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Three separable classes: a bright square in one of three corners of a noisy 8x8 image."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 3, (count,), generator=generator)
    images = -1 + 0.3 * torch.rand(count, 1, 8, 8, generator=generator)
    for label, (row, col) in enumerate([(0, 0), (0, 5), (5, 0)]):
        images[labels == label, :, row : row + 3, col : col + 3] = 1.0
    return images, labels


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


def test_held_out_fraction_must_leave_a_training_set() -> None:
    with pytest.raises(UserError, match="held_out_fraction"):
        split_indices(10, 1.0, 0)
