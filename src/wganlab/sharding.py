"""The batch split across the ranks of a distributed run, and the random draws that make the split exact.

In a run of `world` processes the config's batch size stays the global batch: each rank holds rows
[rank * n, (rank + 1) * n) of it, n = batch / world. Every per-sample random draw (latents, real rows, flips,
interpolation weights, instance noise) is drawn for the whole global batch from the stream every rank shares,
and each rank keeps its own rows. So N ranks see exactly the numbers one process sees, and the streams stay
in step on every rank without any communication.

`sharded(...)` is set by training/step.py `train_step` with the team's shard. Outside it (one process,
evaluation, the claims) the shard is the whole batch and these helpers are the plain torch draws. Under a sweep
(stacking.py) `rng` is one generator per member: each member's rows come from its own generator, and the draw is
[K, *shape].
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass

import torch
from torch import Tensor

from wganlab import stacking

Generator = torch.Generator | stacking.Streams  # one run's stream, or a sweep's one per member


@dataclass(frozen=True)
class Shard:
    rank: int = 0
    world: int = 1

    def rows(self, local: int) -> slice:
        """This rank's rows of a global batch of `local * world` rows."""
        return slice(self.rank * local, (self.rank + 1) * local)


WHOLE = Shard()
_CURRENT: ContextVar[Shard] = ContextVar("wganlab_shard", default=WHOLE)


@contextlib.contextmanager
def sharded(shard: Shard) -> Iterator[None]:
    """Within this block every helper below draws globally and keeps `shard`'s rows."""
    token = _CURRENT.set(shard)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def current() -> Shard:
    return _CURRENT.get()


def _global(shape: tuple[int, ...]) -> tuple[int, ...]:
    return (shape[0] * current().world, *shape[1:])


def own_rows(values: Tensor) -> Tensor:
    """This rank's rows of a global batch `values` [local * world, ...]."""
    shard = current()
    if shard.world == 1:
        return values
    return values[shard.rows(values.shape[0] // shard.world)]


def _draw(draw: Callable[[torch.Generator], Tensor], rng: Generator) -> Tensor:
    """One draw from a generator, or one per member of a sweep's streams stacked into [K, ...]."""
    if isinstance(rng, stacking.Streams):
        return torch.stack([draw(generator) for generator in rng])
    return draw(rng)


# Each draw is made on its generator's own device (CUDA refuses a CPU generator for a GPU tensor) and then moved to
# `device`: the training streams live on the training device, so only other streams (the evaluation's and the
# probe's, on the CPU whatever the device, for the same points everywhere) pay the copy.


def rand(shape: tuple[int, ...], rng: Generator, device: torch.device | str, dtype: torch.dtype) -> Tensor:
    """U[0, 1) of `shape` (this rank's rows of the global draw) on `device`."""
    return _draw(lambda g: own_rows(torch.rand(_global(shape), generator=g, device=g.device, dtype=dtype)).to(device),
                 rng)


def randn(shape: tuple[int, ...], rng: Generator, device: torch.device | str, dtype: torch.dtype) -> Tensor:
    """N(0, 1) of `shape` (this rank's rows of the global draw) on `device`."""
    return _draw(lambda g: own_rows(torch.randn(_global(shape), generator=g, device=g.device, dtype=dtype)).to(device),
                 rng)


def randint(high: int, shape: tuple[int, ...], rng: Generator, device: torch.device | str) -> Tensor:
    """Integers in [0, high) of `shape` (this rank's rows of the global draw) on `device`."""
    return _draw(lambda g: own_rows(torch.randint(high, _global(shape), generator=g, device=g.device)).to(device), rng)


def global_std(values: Tensor) -> Tensor:
    """The population std of every element of the global batch (an all-reduce of count, sum and sum of squares
    across the ranks; `values.std(correction=0)` in one process). Under a sweep, each member's own: [K, 1, ...]."""
    if stacking.members():
        if current().world != 1:
            raise NotImplementedError("a sweep runs in one process")
        flat = values.reshape(values.shape[0], -1)
        return flat.std(dim=1, correction=0).reshape((-1,) + (1,) * (values.dim() - 1))
    if current().world == 1:
        return values.std(correction=0)
    import torch.distributed as dist

    flat = values.detach().reshape(-1).double()
    totals = torch.stack([torch.full((), float(flat.numel()), dtype=torch.float64, device=flat.device),
                          flat.sum(), flat.pow(2).sum()])
    dist.all_reduce(totals)
    count, total, squares = totals.unbind()
    mean = total / count
    return (squares / count - mean * mean).clamp_min(0).sqrt().to(values.dtype)


def global_mean(values: Tensor) -> Tensor:
    """The mean over the last axis (the batch's, of scores [..., N]) of the global batch, keeping that axis as 1:
    an autograd-aware all-reduce of the ranks' sums, so each rank's backward pass carries the other ranks' share
    of the gradient too (`values.mean(-1, keepdim=True)` in one process)."""
    world = current().world
    if world == 1:
        return values.mean(-1, keepdim=True)
    from torch.distributed.nn.functional import all_reduce

    return all_reduce(values.sum(-1, keepdim=True)) / (values.shape[-1] * world)


def global_max(values: Tensor) -> Tensor:
    """The largest value over the last axis of the global batch ([..., N] -> [...]), differentiable: each rank's
    own maximum is placed in its slot of a [world, ...] table that an autograd-aware all-reduce completes, and the
    table's maximum is taken alike on every rank, so the gradient reaches the rank that holds it (once the ranks'
    gradients are averaged, the one-process gradient)."""
    own = values.amax(-1)
    shard = current()
    if shard.world == 1:
        return own
    from torch.distributed.nn.functional import all_reduce

    slot = torch.zeros(shard.world, dtype=own.dtype, device=own.device)
    slot[shard.rank] = 1.0
    table = all_reduce(slot.reshape((-1,) + (1,) * own.dim()) * own)  # [world, ...]
    return table.amax(0)
