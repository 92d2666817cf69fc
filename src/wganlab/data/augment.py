"""Differentiable augmentation of every critic input (DiffAugment, Zhao et al. 2020), for small data sets.

With a few thousand images the critic memorises its training set and the generator stops improving (the
held-out gap of WGAN-GP Sec. 5.6). DiffAugment transforms real and generated images alike, with differentiable
torch ops, before every critic call: the critic's real and fake batches, the points a penalty is taken at, and
the generator's phase (whose gradient flows back through the transform). The metrics never see it.

`data.augment_policy` names the transforms, applied in the order given (the paper's: color, translation, cutout):

- `color`: brightness x + (b - 1/2), then saturation (x - channel mean) * 2s + channel mean, then contrast
  (x - image mean) * (c + 1/2) + image mean, with b, s, c ~ U[0, 1) (images in [-1, 1]);
- `translation`: a shift of each image by up to 1/8 of its size in each direction, whole pixels, zero-filled;
- `cutout`: a zeroed rectangle of half the image's height and width, centred anywhere in the image.

Which draws are independent, as in the paper's code: each image draws its own values (a shift, a rectangle, three
colour factors), and every call draws afresh, so the real and the fake batch of one critic update, each of the
n_critic updates, and the generator's phase never share a draw; x and y, and the three colour factors, are drawn
apart. The channels of one image share its draw (one brightness per image, not per channel). Every draw comes from
the run's own stream through sharding.py, so resume, sweeps (one stream per member) and torchrun stay exact.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from wganlab import sharding, stacking
from wganlab.parts import Parts

Augment = Callable[[Tensor, sharding.Generator], Tensor]  # critic inputs [..., N, C, H, W] -> the same, augmented

TRANSLATION = 1 / 8  # the largest shift, as a fraction of the image's side (the paper's)
CUTOUT = 1 / 2  # the cut rectangle's side, as a fraction of the image's side (the paper's)


def _factor(images: Tensor, rng: sharding.Generator) -> Tensor:
    """U[0, 1), one per image ([..., N, 1, 1, 1]: broadcasts over its channels and pixels)."""
    return sharding.rand(stacking.per_sample_shape(images), rng, images.device, images.dtype)


def color(images: Tensor, rng: sharding.Generator) -> Tensor:
    """Brightness, saturation and contrast, each factor drawn per image."""
    images = images + (_factor(images, rng) - 0.5)
    mean = images.mean(dim=-3, keepdim=True)  # over the channels: a grayscale image is unchanged by saturation
    images = (images - mean) * (_factor(images, rng) * 2) + mean
    mean = images.mean(dim=(-3, -2, -1), keepdim=True)
    return (images - mean) * (_factor(images, rng) + 0.5) + mean


def _offsets(images: Tensor, high: int, rng: sharding.Generator) -> Tensor:
    """Integers in [0, high), one per image: [..., N, 1]."""
    count = stacking.member_shape(images)[0]
    return sharding.randint(high, (count,), rng, images.device).unsqueeze(-1)


def translation(images: Tensor, rng: sharding.Generator) -> Tensor:
    """Each image shifted by whole pixels, up to TRANSLATION of its side each way; what it leaves is 0."""
    height, width = images.shape[-2:]
    reach_y, reach_x = int(height * TRANSLATION + 0.5), int(width * TRANSLATION + 0.5)
    # the pixel each output pixel takes: row h takes row h - dy, column w column w - dx; [..., N, H] and [..., N, W]
    rows = torch.arange(height, device=images.device) - (_offsets(images, 2 * reach_y + 1, rng) - reach_y)
    columns = torch.arange(width, device=images.device) - (_offsets(images, 2 * reach_x + 1, rng) - reach_x)
    flat = images.reshape(-1, *images.shape[-3:])  # [M, C, H, W], M = the images of every member
    rows, columns = rows.reshape(-1, 1, height, 1), columns.reshape(-1, 1, 1, width)
    moved = flat.gather(-2, rows.clamp(0, height - 1).expand(-1, flat.shape[1], -1, width))
    moved = moved.gather(-1, columns.clamp(0, width - 1).expand(-1, flat.shape[1], height, -1))
    inside = (rows >= 0) & (rows < height) & (columns >= 0) & (columns < width)  # [M, 1, H, W]
    moved = torch.where(inside, moved, 0.0).reshape(images.shape)
    # gather writes the default layout: a channels_last batch (a GPU run's, build.memory_format) is given back as it
    # came, or the critic's first convolution would copy it
    channels_last = images.dim() == 4 and images.is_contiguous(memory_format=torch.channels_last)
    return moved.contiguous(memory_format=torch.channels_last) if channels_last else moved


def cutout(images: Tensor, rng: sharding.Generator) -> Tensor:
    """Each image with a rectangle of CUTOUT of its sides set to 0, its centre drawn anywhere in the image."""
    height, width = images.shape[-2:]
    cut_y, cut_x = int(height * CUTOUT + 0.5), int(width * CUTOUT + 0.5)
    top = _offsets(images, height + 1 - cut_y % 2, rng) - cut_y // 2  # [..., N, 1]
    left = _offsets(images, width + 1 - cut_x % 2, rng) - cut_x // 2
    rows, columns = torch.arange(height, device=images.device), torch.arange(width, device=images.device)
    in_rows = (rows >= top) & (rows < top + cut_y)  # [..., N, H]
    in_columns = (columns >= left) & (columns < left + cut_x)  # [..., N, W]
    cut = (in_rows.unsqueeze(-1) & in_columns.unsqueeze(-2)).unsqueeze(-3)  # [..., N, 1, H, W]
    return torch.where(cut, 0.0, images)


@dataclass(frozen=True)
class Transform:
    name: str
    description: str
    function: Augment


# data.augment_policy: DiffAugment's transforms, any subset, applied in the order the policy names them
POLICY: Parts[Transform] = Parts("data.augment_policy", [
    Transform("color", "brightness, saturation and contrast, drawn per image", color),
    Transform("translation", f"a shift of up to {TRANSLATION:g} of the side each way, zero-filled", translation),
    Transform("cutout", f"a zeroed rectangle of {CUTOUT:g} of the sides, anywhere in the image", cutout),
])


def composed(policy: Sequence[str]) -> Augment:
    """The policy's transforms, one after another, each drawing from the stream in turn."""
    functions = [POLICY.resolve(name).function for name in policy]

    def augment(images: Tensor, rng: sharding.Generator) -> Tensor:
        for function in functions:
            images = function(images, rng)
        return images

    return augment


@dataclass(frozen=True)
class Augmentation:
    name: str
    description: str
    make: Callable[[Sequence[str]], Augment | None]  # the policy -> the transform of every critic input; None: none


# data.augment: what is done to every critic input (adaptive augmentation, ADA, would be another entry)
AUGMENTATIONS: Parts[Augmentation] = Parts("data.augment", [
    Augmentation("none", "the critic sees the images as they are", lambda policy: None),
    Augmentation("diffaug", "DiffAugment (Zhao et al. 2020): data.augment_policy's transforms on every critic "
                 "input, real and generated, drawn afresh per image and per call", composed),
])
