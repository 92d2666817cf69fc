"""Whole runs in float64, for the tests that compare two ways of computing the same run (one process or several,
a sweep member or its separate run).

Such runs are equal in exact arithmetic but not in float32: a batched and an unbatched matrix product, or one and
two processes' batch sums, round differently, and Adam divides each gradient by its own running magnitude, so a
gradient whose terms cancel to about zero turns that rounding into steps of the learning rate's size. After 200
steps two float32 runs part by 1e-5 to 1e-3 depending on the CPU's kernels (2.8e-4 on an Intel Xeon with AMX, under
1e-4 on an AMD EPYC). In float64 the same rounding is about 5e8 times smaller (2^-52 against 2^-23): the largest
float64 differences measured are 2e-15 (a sweep member after 200 steps) and 7e-11 (two processes against one
after 20 steps, SyncBatchNorm), with the generic kernels and one thread too. EQUAL lies four orders of magnitude
above them and three below a real difference (per-rank BatchNorm statistics part by 2.4e-3 after 20 steps; a
member with another seed or penalty weight by 1e-2 or more).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from wganlab.data.datasets import data_shape

EQUAL = 1e-6  # the largest parameter difference two float64 runs of the same computation may show


class Cast:
    """A data set whose batches come in `dtype`."""

    def __init__(self, dataset: Any, dtype: torch.dtype) -> None:
        self.dataset, self.dtype = dataset, dtype

    def sample(self, n: int, rng: torch.Generator) -> Tensor:
        return self.dataset.sample(n, rng).to(self.dtype)

    @property
    def shape(self) -> tuple[int, ...]:
        return data_shape(self.dataset)



def cast(run: Any, state: Any, dtype: torch.dtype = torch.float64) -> Any:
    """The built `run` with batches in `dtype`; `state`'s networks (and EMA) cast in place, so the optimisers keep
    the same parameters."""
    for network in (state.generator, state.critic, state.generator_ema):
        if network is not None:
            network.to(dtype)
    return dataclasses.replace(run, dataset=Cast(run.dataset, dtype))


def building_in(dtype: torch.dtype, build: Callable[..., tuple[Any, Any]]) -> Callable[..., tuple[Any, Any]]:
    """`build` (training.build.build) whose runs train in `dtype`."""

    def built(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        run, state = build(*args, **kwargs)
        return cast(run, state, dtype), state

    return built
