"""Train and evaluate the small image classifier whose hidden layer serves as features for image metrics."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from wganlab.errors import UserError
from wganlab.models.classifier import Classifier, architecture


def split_indices(count: int, held_out_fraction: float, split_seed: int) -> tuple[Tensor, Tensor]:
    """Train and held-out indices: the first and last ceil(fraction * count) of a seeded permutation.

    With split_seed 0 on the 1,797 scikit-learn digits this is the data loader's 1,437 / 360 split.
    """
    if not 0.0 < held_out_fraction < 1.0:
        raise UserError(f"held_out_fraction must be in (0, 1), got {held_out_fraction}")
    held_out = math.ceil(held_out_fraction * count)
    if held_out >= count:
        raise UserError(
            f"{count} images are too few to hold out {held_out_fraction:.0%} and train on the rest"
        )
    order = torch.randperm(count, generator=torch.Generator().manual_seed(split_seed))
    return order[: count - held_out], order[count - held_out :]


def random_shift(images: Tensor, max_shift: int, generator: torch.Generator) -> Tensor:
    """Shift each image by up to max_shift pixels in x and y, filling with the background value -1."""
    if max_shift == 0:
        return images
    n, _, height, width = images.shape
    padded = F.pad(images, (max_shift,) * 4, value=-1.0).permute(0, 2, 3, 1)  # [N, H+2s, W+2s, C]
    dy = torch.randint(0, 2 * max_shift + 1, (n, 1, 1), generator=generator)
    dx = torch.randint(0, 2 * max_shift + 1, (n, 1, 1), generator=generator)
    rows = dy + torch.arange(height).view(1, height, 1)  # [N, H, 1]
    cols = dx + torch.arange(width).view(1, 1, width)  # [N, 1, W]
    return padded[torch.arange(n).view(n, 1, 1), rows, cols].permute(0, 3, 1, 2)  # [N, C, H, W]


@torch.no_grad()
def evaluate_accuracy(model: Classifier, images: Tensor, labels: Tensor, batch_size: int = 512) -> float:
    """Fraction of images whose arg-max logit is the label (eval mode)."""
    model.eval()
    correct = 0
    for start in range(0, len(images), batch_size):
        logits = model(images[start : start + batch_size])
        correct += int((logits.argmax(dim=1) == labels[start : start + batch_size]).sum())
    return correct / len(images)


def train_classifier(
    images: Tensor,
    labels: Tensor,
    *,
    held_out_fraction: float = 0.2,
    split_seed: int = 0,
    epochs: int,
    seed: int,
    batch_size: int = 64,
    learning_rate: float = 3e-3,
    feature_dim: int = 64,
    max_shift: int = 1,
) -> tuple[Classifier, dict[str, Any]]:
    """Train a Classifier with Adam (cosine-decayed rate) and random shifts on a seeded split.

    images: [N, C, S, S] in [-1, 1]; labels: [N] integers 0..K-1. `seed` drives the initialisation,
    the batch order and the shifts; `split_seed` the held-out split (see split_indices).
    """
    if images.dim() != 4 or images.shape[2] != images.shape[3] or len(labels) != len(images):
        raise UserError(
            f"need square images [N, C, S, S] and N labels; got {tuple(images.shape)}, {len(labels)}"
        )
    if epochs < 1 or batch_size < 1 or max_shift < 0:
        raise UserError(
            f"need epochs >= 1, batch_size >= 1, max_shift >= 0; got {epochs}, {batch_size}, {max_shift}"
        )
    images, labels = images.float(), labels.long()
    train, held_out = split_indices(len(images), held_out_fraction, split_seed)
    with torch.random.fork_rng(devices=[]):  # seeded initialisation without touching the global RNG
        torch.manual_seed(seed)
        model = Classifier(images.shape[1], images.shape[2], int(labels.max()) + 1, feature_dim)
    schedule = _Schedule(epochs, batch_size, learning_rate, max_shift)
    _fit(model, images[train], labels[train], schedule, torch.Generator().manual_seed(seed))
    report: dict[str, Any] = {
        "held_out_accuracy": evaluate_accuracy(model, images[held_out], labels[held_out]),
        "train_accuracy": evaluate_accuracy(model, images[train], labels[train]),
        "train_size": len(train),
        "held_out_size": len(held_out),
        "held_out_fraction": held_out_fraction,
        "split_seed": split_seed,
        "seed": seed,
        **dataclasses.asdict(schedule),
        **architecture(model),
    }
    return model, report


@dataclass(frozen=True)
class _Schedule:
    epochs: int
    batch_size: int
    learning_rate: float
    max_shift: int


def _fit(model: Classifier, images: Tensor, labels: Tensor, schedule: _Schedule, generator: torch.Generator) -> None:
    """Adam with a cosine-decayed rate over shuffled, randomly shifted batches; leaves the model in eval mode."""
    optimizer = torch.optim.Adam(model.parameters(), lr=schedule.learning_rate)
    steps = schedule.epochs * math.ceil(len(images) / schedule.batch_size)
    decay = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 0.5 * (1 + math.cos(math.pi * step / steps)))
    model.train()
    for _ in range(schedule.epochs):
        order = torch.randperm(len(images), generator=generator)
        for start in range(0, len(order), schedule.batch_size):
            batch = order[start : start + schedule.batch_size]
            loss = F.cross_entropy(model(random_shift(images[batch], schedule.max_shift, generator)), labels[batch])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            decay.step()
    model.eval()
