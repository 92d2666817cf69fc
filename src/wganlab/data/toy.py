"""Exact 2-D toy distributions (REFERENCE.md section 1), sampled in torch with an explicit generator.

Recipes follow the VEEGAN/PacGAN mode-collapse protocol (`grid`, `ring`), the WGAN-GP toy code
(`8gaussians`, `25gaussians`, `swissroll`) and WGAN Example 1 (`parallel-lines`). Every `draw`
is vectorised and uses only the generator it is given, so a seed fixes the samples.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from wganlab import sharding
from wganlab.parts import Parts


# eq=False: the generated __eq__ would compare tensors elementwise and raise on `bool(...)`.
@dataclass(frozen=True, eq=False)
class ToyDistribution:
    """A named 2-D distribution; `centres`/`sigma` describe its modes in sample units."""

    name: str
    description: str
    centres: Tensor | None  # [K, 2] float32; None when the distribution has no modes
    sigma: float  # isotropic std of each mode in sample units (0.0 when centres is None)
    draw: Callable[[int, torch.Generator], Tensor]  # (n, rng) -> [n, 2] float32

    def sample(self, n: int, rng: torch.Generator) -> Tensor:
        """Draw `n` i.i.d. samples using only `rng`."""
        assert n >= 1, f"need at least one sample, got n={n}"
        samples = sharding.own_rows(self.draw(n * sharding.current().world, rng))  # [n, 2], a rank's rows
        assert samples.shape == (n, 2) and samples.dtype == torch.float32
        return samples


class OnDevices:
    """A constant tensor and its copies on the devices that asked for it: each device's copy is made once, so a
    draw on a GPU never copies it from the host again."""

    def __init__(self, tensor: Tensor) -> None:
        self.copies = {tensor.device: tensor}

    def on(self, device: torch.device) -> Tensor:
        if device not in self.copies:
            self.copies[device] = next(iter(self.copies.values())).to(device)
        return self.copies[device]


def _gaussian_mixture_draw(
    centres: Tensor, sigma: float, scale: float = 1.0
) -> Callable[[int, torch.Generator], Tensor]:
    """Equal-weight mixture: x = (c_k + sigma * N(0, I)) / scale, k ~ U{0..K-1}."""
    placed = OnDevices(centres)

    def draw(n: int, rng: torch.Generator) -> Tensor:
        device = rng.device
        k = torch.randint(len(centres), (n,), generator=rng, device=device)  # [n]
        noise = torch.randn(n, 2, generator=rng, device=device)  # [n, 2]
        return (placed.on(device)[k] + sigma * noise) / scale  # [n, 2]

    return draw


def _mixture(
    name: str, description: str, centres: Tensor, sigma: float, scale: float = 1.0
) -> ToyDistribution:
    """A Gaussian mixture whose raw centres and noise are divided by `scale` (WGAN-GP's 'stdev' step)."""
    return ToyDistribution(
        name=name,
        description=description,
        centres=centres / scale,
        sigma=sigma / scale,
        draw=_gaussian_mixture_draw(centres, sigma, scale),
    )


def _grid() -> ToyDistribution:
    axis = torch.tensor([-4.0, -2.0, 0.0, 2.0, 4.0])
    centres = torch.cartesian_prod(axis, axis)  # [25, 2]
    return _mixture("grid", _described("grid"), centres, 0.05)


def _ring() -> ToyDistribution:
    # angles 2*pi*i/8 for i = 0..7: never linspace(0, 2*pi, 8), whose ends coincide (7 modes).
    angles = 2.0 * math.pi * torch.arange(8, dtype=torch.float64) / 8.0  # [8]
    centres = torch.stack([angles.cos(), angles.sin()], dim=1).float()  # [8, 2]
    return _mixture("ring", _described("ring"), centres, 0.01)


def _eight_gaussians() -> ToyDistribution:
    d = math.sqrt(0.5)
    compass = torch.tensor([(1, 0), (-1, 0), (0, 1), (0, -1), (d, d), (d, -d), (-d, d), (-d, -d)])
    return _mixture("8gaussians", _described("8gaussians"), 2.0 * compass.float(), 0.02, scale=1.414)


def fixed_25gaussians_points(seed: int) -> Tensor:
    """The WGAN-GP 25gaussians data set: 100,000 fixed points, a function of `seed` only.

    x = (2 * (i, j) + 0.05 * N(0, I)) / 2.828, (i, j) in {-2..2}^2, each centre 4,000 times, shuffled.
    """
    rng = torch.Generator().manual_seed(seed)
    axis = 2.0 * torch.arange(-2, 3, dtype=torch.float32)
    centres = torch.cartesian_prod(axis, axis)  # [25, 2]
    points = centres.repeat(4000, 1) + 0.05 * torch.randn(100_000, 2, generator=rng)  # [100000, 2]
    points = points[torch.randperm(100_000, generator=rng)]
    return points / 2.828  # [100000, 2]


def _twenty_five_gaussians(seed: int) -> ToyDistribution:
    table = fixed_25gaussians_points(seed)  # [100000, 2]
    points = OnDevices(table)

    def draw(n: int, rng: torch.Generator) -> Tensor:
        rows = torch.randint(len(table), (n,), generator=rng, device=rng.device)  # [n]
        return points.on(rng.device)[rows]  # [n, 2]

    axis = 2.0 * torch.arange(-2, 3, dtype=torch.float32)
    return ToyDistribution(
        name="25gaussians",
        description=_described("25gaussians"),
        centres=torch.cartesian_prod(axis, axis) / 2.828,  # [25, 2]
        sigma=0.05 / 2.828,
        draw=draw,
    )


def _swissroll_draw(n: int, rng: torch.Generator) -> Tensor:
    """sklearn make_swiss_roll(noise=0.25) columns [0, 2], / 7.5: t = 1.5 pi (1 + 2u), (t cos t, t sin t)."""
    u = torch.rand(n, generator=rng, device=rng.device)  # [n]
    t = 1.5 * math.pi * (1.0 + 2.0 * u)  # [n]
    roll = torch.stack([t * t.cos(), t * t.sin()], dim=1)  # [n, 2]
    return (roll + 0.25 * torch.randn(n, 2, generator=rng, device=rng.device)) / 7.5  # [n, 2]


def _parallel_lines(theta: float) -> ToyDistribution:
    def draw(n: int, rng: torch.Generator) -> Tensor:
        z = torch.rand(n, generator=rng, device=rng.device)  # [n]
        return torch.stack([torch.full_like(z, theta), z], dim=1)  # [n, 2]

    description = f"{_described('parallel-lines')} (theta={theta:g})"
    return ToyDistribution("parallel-lines", description, None, 0.0, draw)


@dataclass(frozen=True)
class ToyEntry:
    """A toy data set as `data.name` chooses it: `build(seed, theta)` makes the distribution."""

    name: str
    description: str
    build: Callable[[int, float], ToyDistribution]


TOY_DATASETS: Parts[ToyEntry] = Parts("data.name", [
    ToyEntry(
        "grid",
        "25 Gaussians on {-4,-2,0,2,4}^2, sigma 0.05 (VEEGAN/PacGAN mode benchmark)",
        lambda seed, theta: _grid(),
    ),
    ToyEntry(
        "ring",
        "8 Gaussians on the unit circle, sigma 0.01 (VEEGAN/PacGAN mode benchmark)",
        lambda seed, theta: _ring(),
    ),
    ToyEntry(
        "8gaussians",
        "8 Gaussians at radius 2, sigma 0.02, divided by 1.414 (WGAN-GP toy code)",
        lambda seed, theta: _eight_gaussians(),
    ),
    ToyEntry(
        "25gaussians",
        "fixed 100k points, 25 Gaussians on 2*{-2..2}^2, sigma 0.05, / 2.828 (WGAN-GP toy code)",
        lambda seed, theta: _twenty_five_gaussians(seed),
    ),
    ToyEntry(
        "swissroll",
        "sklearn swiss roll, noise 0.25, columns [0, 2], divided by 7.5 (WGAN-GP toy code)",
        lambda seed, theta: ToyDistribution("swissroll", _described("swissroll"), None, 0.0, _swissroll_draw),
    ),
    ToyEntry(
        "parallel-lines",
        "law of (theta, Z), Z ~ U[0,1] (WGAN Example 1)",
        lambda seed, theta: _parallel_lines(theta),
    ),
])


def _described(name: str) -> str:
    return TOY_DATASETS[name].description


def make_toy(name: str, *, seed: int = 0, theta: float = 0.0) -> ToyDistribution:
    """Build the toy distribution `name`; `seed` fixes 25gaussians' data set, `theta` parallel-lines' x.

    Keywords a distribution does not use are ignored. Raises KeyError for an unknown name.
    """
    if name not in TOY_DATASETS:
        raise KeyError(f"unknown toy data set {name!r}; choose one of {sorted(TOY_DATASETS)}")
    return TOY_DATASETS[name].build(seed, float(theta))
