"""How a square image size factors into a small base grid and a number of 2x resolution steps."""

from __future__ import annotations

import pytest

from wganlab.models.shapes import resolution_steps


@pytest.mark.parametrize(("size", "expected"), [(8, (4, 1)), (28, (7, 2)), (32, (4, 3)), (64, (4, 4)), (12, (6, 1))])
def test_resolution_steps(size, expected):
    assert resolution_steps(size) == expected
    base, steps = expected
    assert base * 2**steps == size


def test_a_smaller_base_takes_more_steps():
    assert resolution_steps(32, base_max=2) == (2, 4)
    assert resolution_steps(28, base_max=14) == (14, 1)


@pytest.mark.parametrize(
    ("size", "base_max"),
    [(9, 7), (3, 7), (100, 7), (4, 7), (7, 7), (28, 3)],  # odd, no step, 25 > 7, no step, no step, 7 > 3
)
def test_unsupported_sizes_are_refused(size, base_max):
    with pytest.raises(ValueError, match=f"image size {size} is not a small base \\(<= {base_max}\\) times a power"):
        resolution_steps(size, base_max)
