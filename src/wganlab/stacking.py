"""Several runs trained as one (`wganlab sweep`): the member axis every tensor of a sweep's step carries.

Inside `stacked(k)` (set by training/step.py `train_step` for a sweep's stacked run, `Run.members` = K) the
tensors that flow through a training step are [K, N, ...]: axis 0 holds the K members (each its own run: own
weights, optimiser moments and random streams), axis 1 the batch. Outside it (every plain run, evaluation, the
claims' own loops) nothing changes: tensors are [N, ...]. The objective, the losses
and the penalties are written once for both layouts with the helpers below: they reduce over the batch axis
(`batch_axis`), and reshape per sample (`per_sample`).

A sweep's random streams are `Streams`, one `torch.Generator` per member: sharding.py's draws take either, and
draw member k's numbers from member k's generator, in the order its own run would, so member k of a sweep is
its separate run up to floating-point rounding.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from contextvars import ContextVar

import torch
from torch import Tensor

_MEMBERS: ContextVar[int] = ContextVar("wganlab_members", default=0)


@contextlib.contextmanager
def stacked(members: int) -> Iterator[None]:
    """Within this block tensors carry a leading axis of `members` runs."""
    token = _MEMBERS.set(members)
    try:
        yield
    finally:
        _MEMBERS.reset(token)


def members() -> int:
    """The number of stacked runs; 0 outside a sweep's step."""
    return _MEMBERS.get()


def batch_axis() -> int:
    """The batch's axis: 1 under a sweep (after the member axis), else 0."""
    return 1 if _MEMBERS.get() else 0


def per_sample(values: Tensor) -> Tensor:
    """[..., N, D]: each sample's values flattened (scores [N, 1] -> [N, 1]; images [N, C, H, W] -> [N, CHW])."""
    axis = batch_axis()
    return values.reshape(*values.shape[: axis + 1], -1)


def scores(values: Tensor) -> Tensor:
    """A critic's output [..., N] or [..., N, 1] as [..., N]: one score per sample (per member)."""
    axis = batch_axis()
    return values.reshape(*values.shape[:axis], -1)


def member_shape(values: Tensor) -> tuple[int, ...]:
    """The shape of one member's part of `values` (its own shape outside a sweep)."""
    return tuple(values.shape[batch_axis():])


def per_sample_shape(values: Tensor) -> tuple[int, ...]:
    """One member's [N, 1, 1, ...]: a value per sample that broadcasts against `values` (after the member axis)."""
    shape = member_shape(values)
    return (shape[0],) + (1,) * (len(shape) - 1)


class Streams:
    """One random generator per stacked run: a draw of one member's `shape` gives [K, *shape], row k drawn from
    generator k (sharding.py's draws accept a Streams wherever they accept a torch.Generator)."""

    def __init__(self, generators: Sequence[torch.Generator]) -> None:
        if not generators:
            raise ValueError("Streams needs at least one generator")
        self.generators = tuple(generators)

    @property
    def device(self) -> torch.device:
        return self.generators[0].device

    def __len__(self) -> int:
        return len(self.generators)

    def __iter__(self) -> Iterator[torch.Generator]:
        return iter(self.generators)
