"""Toy distributions against their published recipes (REFERENCE.md section 1)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from wganlab.data.toy import TOY_DATASETS, fixed_25gaussians_points, make_toy


def rng(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_registry_names_match_the_reference() -> None:
    assert set(TOY_DATASETS) == {"grid", "ring", "8gaussians", "25gaussians", "swissroll", "parallel-lines"}
    assert all(TOY_DATASETS.descriptions().values())


def test_unknown_name_raises_key_error() -> None:
    with pytest.raises(KeyError):
        make_toy("nine-gaussians")


@pytest.mark.parametrize("name", sorted(TOY_DATASETS))
def test_shape_dtype_and_reproducibility(name: str) -> None:
    toy = make_toy(name)
    a = toy.sample(300, rng(7))
    assert a.shape == (300, 2) and a.dtype == torch.float32
    assert toy.name == name
    torch.testing.assert_close(a, toy.sample(300, rng(7)), rtol=0, atol=0)
    assert not torch.equal(a, toy.sample(300, rng(8)))
    if toy.centres is None:
        assert toy.sigma == 0.0
    else:
        assert toy.centres.dtype == torch.float32 and toy.centres.shape[1] == 2


def test_sample_rejects_zero() -> None:
    with pytest.raises(AssertionError):
        make_toy("grid").sample(0, rng(0))


def test_grid_centres_are_the_25_points() -> None:
    toy = make_toy("grid")
    expected = {(float(x), float(y)) for x in range(-4, 5, 2) for y in range(-4, 5, 2)}
    assert toy.centres is not None and toy.centres.shape == (25, 2)
    assert {tuple(c) for c in toy.centres.tolist()} == expected
    assert toy.sigma == 0.05


def test_ring_has_8_distinct_centres_pi_over_4_apart() -> None:
    toy = make_toy("ring")
    centres = toy.centres
    assert centres is not None and centres.shape == (8, 2) and toy.sigma == 0.01
    assert len(torch.unique(centres, dim=0)) == 8
    pairwise = torch.cdist(centres.double(), centres.double()) + 10 * torch.eye(8, dtype=torch.float64)
    assert pairwise.min() > 0.7  # chord between neighbours: 2 sin(pi/8) = 0.765
    torch.testing.assert_close(centres.norm(dim=1), torch.ones(8), rtol=0, atol=1e-6)
    angles = torch.atan2(centres[:, 1].double(), centres[:, 0].double())
    steps = torch.remainder(angles.roll(-1) - angles, 2 * math.pi)  # [8]
    torch.testing.assert_close(steps, torch.full((8,), math.pi / 4, dtype=torch.float64), rtol=0, atol=1e-6)


def test_wgan_gp_mixture_centres_use_sample_units() -> None:
    d = 1 / math.sqrt(2)
    compass = torch.tensor([(1, 0), (-1, 0), (0, 1), (0, -1), (d, d), (d, -d), (-d, d), (-d, -d)])
    eight = make_toy("8gaussians")
    assert eight.centres is not None
    torch.testing.assert_close(eight.centres, (2 * compass / 1.414).float(), rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(eight.centres.norm(dim=1), torch.full((8,), 2 / 1.414), rtol=1e-6, atol=0)
    assert eight.sigma == pytest.approx(0.02 / 1.414, rel=1e-12)

    twenty_five = make_toy("25gaussians")
    grid = torch.tensor([(2.0 * i, 2.0 * j) for i in range(-2, 3) for j in range(-2, 3)])
    assert twenty_five.centres is not None
    got = sorted(map(tuple, twenty_five.centres.tolist()))
    want = sorted(map(tuple, (grid / 2.828).tolist()))
    torch.testing.assert_close(torch.tensor(got), torch.tensor(want), rtol=1e-6, atol=1e-7)
    assert twenty_five.sigma == pytest.approx(0.05 / 2.828, rel=1e-12)


@pytest.mark.parametrize("name", ["grid", "ring", "8gaussians", "25gaussians"])
def test_per_mode_std_matches_sigma(name: str) -> None:
    toy = make_toy(name)
    assert toy.centres is not None
    x = toy.sample(20_000, rng(3)).double()  # [N, 2]
    centres = toy.centres.double()
    nearest = torch.cdist(x, centres).argmin(dim=1)  # [N]
    residual = x - centres[nearest]  # [N, 2]
    # Every mode is used, roughly equally (1/K each).
    freq = torch.bincount(nearest, minlength=len(centres)).double() / len(x)
    torch.testing.assert_close(freq, torch.full_like(freq, 1 / len(centres)), rtol=0.15, atol=0)
    # Pooled per-coordinate std: relative standard error about 0.4% at 40,000 values.
    std = residual.pow(2).mean().sqrt().item()
    assert std == pytest.approx(toy.sigma, rel=0.03)


def test_25gaussians_draws_only_from_its_fixed_set() -> None:
    points = fixed_25gaussians_points(0)
    assert points.shape == (100_000, 2) and points.dtype == torch.float32
    torch.testing.assert_close(points, fixed_25gaussians_points(0), rtol=0, atol=0)
    assert not torch.equal(points, fixed_25gaussians_points(1))
    # 4,000 points per centre before the shuffle.
    toy = make_toy("25gaussians", seed=0)
    assert toy.centres is not None
    nearest = torch.cdist(points.double(), toy.centres.double()).argmin(dim=1)
    assert torch.bincount(nearest, minlength=25).tolist() == [4000] * 25
    members = set(map(tuple, points.tolist()))
    drawn = toy.sample(2_000, rng(5))
    assert all(tuple(p) in members for p in drawn.tolist())
    other = set(map(tuple, fixed_25gaussians_points(1).tolist()))
    assert not any(tuple(p) in other for p in drawn.tolist())
    # The same construction seed gives the same data set: same draws for the same generator.
    torch.testing.assert_close(make_toy("25gaussians", seed=0).sample(50, rng(9)), toy.sample(50, rng(9)))


def test_swissroll_lies_on_the_spiral() -> None:
    x = make_toy("swissroll").sample(2_000, rng(11)).double() * 7.5  # back to sklearn units
    t = torch.linspace(1.5 * math.pi, 4.5 * math.pi, 10_001, dtype=torch.float64)
    curve = torch.stack([t * t.cos(), t * t.sin()], dim=1)  # [T, 2]
    distance = torch.cdist(x, curve).min(dim=1).values  # [N]
    # Distance to the curve is about |perpendicular noise|: half-normal with scale 0.25.
    assert distance.max() < 5 * 0.25 * math.sqrt(2)
    assert distance.mean().item() == pytest.approx(0.25 * math.sqrt(2 / math.pi), rel=0.1)


def test_swissroll_mean_radius_matches_sklearn_formula() -> None:
    n = 40_000
    gen = np.random.default_rng(0)
    t = 1.5 * np.pi * (1 + 2 * gen.uniform(size=n))
    roll = np.stack([t * np.cos(t), t * np.sin(t)], axis=1) + 0.25 * gen.standard_normal((n, 2))
    reference = np.linalg.norm(roll / 7.5, axis=1).mean()
    radius = make_toy("swissroll").sample(n, rng(12)).double().norm(dim=1).mean().item()
    # std of the radius is about 0.36, so the difference of two means has std 0.0026.
    assert radius == pytest.approx(reference, abs=0.015)
    assert radius == pytest.approx(3 * math.pi / 7.5, abs=0.015)  # E[t] / 7.5, noise adds ~1e-4


@pytest.mark.parametrize("theta", [0.0, 0.3, -1.5])
def test_parallel_lines(theta: float) -> None:
    toy = make_toy("parallel-lines", theta=theta)
    assert toy.centres is None and toy.sigma == 0.0
    x = toy.sample(20_000, rng(4))
    torch.testing.assert_close(x[:, 0], torch.full((20_000,), theta), rtol=0, atol=0)
    z = x[:, 1].double()
    assert z.min() >= 0.0 and z.max() <= 1.0
    assert z.mean().item() == pytest.approx(0.5, abs=0.01)  # std of the mean 0.002
    assert z.var().item() == pytest.approx(1 / 12, abs=0.003)
