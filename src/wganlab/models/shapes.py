"""Shapes: what one sample's shape may be, and how a square image size factors into a small base grid and a
number of 2x resolution steps."""

from __future__ import annotations


def sample_shape(value: object) -> tuple[int, ...] | None:
    """`value` (read from a file) as one sample's shape, (2,)-like points or (C, H, W) images; None if it is not
    one."""
    if isinstance(value, (list, tuple)) and len(value) in (1, 3) and all(type(n) is int and n > 0 for n in value):
        return tuple(value)
    return None


def resolution_steps(size: int, base_max: int = 7) -> tuple[int, int]:
    """(base, steps) with base * 2**steps == size and base <= base_max: 8 -> (4, 1), 28 -> (7, 2), 32 -> (4, 3)."""
    base, steps = size, 0
    while base % 2 == 0 and base > base_max:
        base //= 2
        steps += 1
    if base > base_max or steps == 0:
        raise ValueError(f"image size {size} is not a small base (<= {base_max}) times a power of two")
    return base, steps
