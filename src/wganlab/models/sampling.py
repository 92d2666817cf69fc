"""Samples from a generator: the latents drawn from a seed, the generator run in eval mode a chunk at a time.

One definition for every place that makes samples (a run's evaluation, `wganlab sample`, a generator loaded with
`wganlab.load_generator`), so the same seed gives bitwise the same images in each. A class-conditional generator
(models/conditional.py) is given balanced labels: sample i requests class i mod K (`requested_labels`).
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch import Tensor, nn

from wganlab.models.conditional import classes_of

BATCH = 500  # generated samples made at a time


def generated(
    sampler: nn.Module,
    count: int,
    latent_dim: int,
    seed: int,
    share: tuple[int, int] = (0, 1),
    first: int | None = None,
    label: int | None = None,
) -> Iterator[Tensor]:
    """`count` samples from the generator in eval mode (BatchNorm uses running statistics), BATCH at a time on the
    CPU; latents z ~ N(0, I) [count, latent_dim] drawn at once from a generator seeded with `seed`. With `share` =
    (k, n) only the k-th of n consecutive parts of them (as torch.tensor_split divides); with `first`, only the
    first that many of them. The sampler is in eval mode only while it makes a chunk, so a caller may stop early.
    A conditional sampler makes sample i of the `count` for class i mod K, or every sample for class `label`."""
    rng = torch.Generator().manual_seed(seed)
    parameter = next(sampler.parameters())  # its dtype: float32, unless a test runs the networks in float64
    start, stop = share_bounds(count, share)
    latents = torch.randn(count, latent_dim, generator=rng)[start:stop]
    latents = latents if first is None else latents[:first]
    classes = classes_of(sampler)
    labels = requested_labels(count, classes)[start : start + len(latents)] if classes else None
    labels = labels if labels is None or label is None else torch.full_like(labels, label)
    for index, chunk in enumerate(latents.split(BATCH)):
        inputs = [chunk.to(parameter.device, parameter.dtype)]
        if labels is not None:
            inputs.append(labels[index * BATCH : (index + 1) * BATCH].to(parameter.device))
        was_training = sampler.training
        sampler.eval()
        try:
            with torch.no_grad():
                images = sampler(*inputs).cpu()
        finally:
            sampler.train(was_training)
        yield images


def requested_labels(count: int, classes: int) -> Tensor:
    """[count] int64: the class a conditional generator's sample i is made for, i mod `classes` (every class
    count / classes times, give or take one)."""
    return torch.arange(count) % classes


def share_bounds(count: int, share: tuple[int, int]) -> tuple[int, int]:
    """[start, stop) of the k-th of n consecutive parts of `count` items, `share` = (k, n), as torch.tensor_split
    divides them (the first count % n parts one longer)."""
    k, n = share
    size, extra = divmod(count, n)
    start = k * size + min(k, extra)
    return start, start + size + (k < extra)


def generate(sampler: nn.Module, count: int, latent_dim: int, seed: int, label: int | None = None) -> Tensor:
    """The samples of `generated`, all at once: [count, ...] (for the few a probe or a test needs)."""
    return torch.cat(list(generated(sampler, count, latent_dim, seed, label=label)))
