"""A feature extractor for image metrics: images [N, C, H, W] in [-1, 1] -> features [N, D] (and class
probabilities [N, K]), in batches whose size changes no result."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

from wganlab.errors import UserError
from wganlab.integrity import file_digest

RANGE_TOLERANCE = 1e-3  # images are expected in [-1, 1]; allow rounding noise, reject other scalings


@dataclass(frozen=True)
class FeatureExtractor:
    """Features [N, D] and optional class probabilities [N, K] (eval mode, no grad): the features in the precision
    the network computes them in (float32 for Inception, float64 for the classifiers), probabilities in float64.

    Inputs are images [N, C, H, W] in [-1, 1]. Record `name` and `weights_id` with every metric:
    numbers from different extractors are not comparable.
    """

    name: str
    weights_id: str  # first 16 hex digits of the sha256 of the weights file
    feature_dim: int
    input_shape: tuple[int, int, int] | None  # (C, H, W) it expects, or None if it resizes itself
    # one batch of images, as `extract` checked them, through the network in one pass: features [n, D] and
    # probabilities [n, K] (None: no classifier head)
    network: Callable[[Tensor], tuple[Tensor, Tensor | None]]
    batch_size: int = 256  # images through the network at a time by default: what bounds its working memory

    def extract(self, images: Tensor, batch_size: int | None = None) -> tuple[Tensor, Tensor | None]:
        """Features [N, D] and probabilities [N, K] (or None) over batches of `batch_size` (the extractor's own by
        default); batch_size changes no result."""
        batch_size = self.batch_size if batch_size is None else batch_size
        if batch_size < 1:
            raise UserError(f"batch_size must be >= 1, got {batch_size}")
        check_images(self, images)
        features: list[Tensor] = []
        probabilities: list[Tensor] = []
        for start in range(0, len(images), batch_size):
            batch_features, batch_probabilities = self.network(images[start : start + batch_size])
            features.append(batch_features)
            if batch_probabilities is not None:
                probabilities.append(batch_probabilities)
        if not features:
            return torch.empty(0, self.feature_dim, dtype=torch.float64), None  # no images: no precision to keep
        return torch.cat(features), torch.cat(probabilities) if probabilities else None


def check_images(extractor: FeatureExtractor, images: Tensor) -> None:
    """Raise UserError unless images are [N, C, H, W] in [-1, 1] of the shape the extractor expects."""
    if images.dim() != 4:
        raise UserError(f"{extractor.name} needs images [N, C, H, W], got shape {tuple(images.shape)}")
    shape = tuple(images.shape[1:])
    if extractor.input_shape is not None and shape != extractor.input_shape:
        raise UserError(
            f"{extractor.name} expects images of shape {extractor.input_shape}, got {shape}; "
            "use a classifier trained on such images (name 'classifier' with its weights file) "
            "or 'inception-v3-compat'"
        )
    if images.numel() and (images.min() < -1 - RANGE_TOLERANCE or images.max() > 1 + RANGE_TOLERANCE):
        raise UserError(
            f"{extractor.name} expects pixel values in [-1, 1], got [{float(images.min()):.3g}, "
            f"{float(images.max()):.3g}]; rescale the images (x / 127.5 - 1 for 0..255 data)"
        )


def weights_identity(path: Path) -> str:
    """First 16 hex digits of the file's sha256."""
    return file_digest(path)[:16]
