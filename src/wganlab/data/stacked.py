"""Stacked data (Stacked MNIST, Metz et al. 2017): independent grayscale images as the channels of one image.

With 10 classes and 3 channels there are 1,000 modes, each a triple of classes.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch
from torch import Tensor

from wganlab import sharding
from wganlab.data.images import ImageData, random_flip
from wganlab.errors import UserError


@dataclass(frozen=True, eq=False)
class StackedImages:
    base: ImageData  # grayscale images [N, 1, H, W]
    copies: int = 3

    def __post_init__(self) -> None:
        if self.base.shape[0] != 1:
            raise UserError(
                f"data.stack needs grayscale images, but {self.base.name} has {self.base.shape[0]} channels; "
                "set data.stack = 1"
            )

    @property
    def name(self) -> str:
        return f"stacked-{self.base.name}"

    @property
    def source(self) -> str:
        return self.base.source

    @property
    def shape(self) -> tuple[int, int, int]:
        _, height, width = self.base.shape
        return self.copies, height, width

    def placed(self, device: torch.device | str) -> StackedImages:
        """The images kept on `device` as ImageData.placed keeps them."""
        return dataclasses.replace(self, base=self.base.placed(device))

    def sample_with_labels(self, n: int, rng: torch.Generator) -> tuple[Tensor, Tensor | None]:
        """[n, copies, H, W] images of independent random rows, and their per-channel labels [n, copies]."""
        rows, images = self._draw(n, rng)
        labels = self.base.labels_at(rows.reshape(-1))
        return images, None if labels is None else labels.reshape(n, self.copies)

    def sample(self, n: int, rng: torch.Generator) -> Tensor:
        return self._draw(n, rng)[1]

    def _draw(self, n: int, rng: torch.Generator) -> tuple[Tensor, Tensor]:
        rows = sharding.randint(len(self.base), (n, self.copies), rng, rng.device)
        images = self.base.rows(rows.reshape(-1), rng.device).reshape(n, *self.shape)
        return rows, random_flip(images, rng) if self.base.flip else images
