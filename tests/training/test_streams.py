"""Random streams: seeds by exact arithmetic, so no two generators of a run share a seed by accident."""

from __future__ import annotations

import itertools

import pytest
import torch

from wganlab.training.streams import (
    DATA,
    EVALUATION,
    FRESH_PROBE,
    LATENTS,
    PROBE,
    step_seed,
    training_seed,
)

STRIDE = 1_000_003
STEP_STREAMS = (EVALUATION, PROBE, FRESH_PROBE)


@pytest.mark.parametrize(
    ("seed", "step", "stream", "expected"),
    [
        (0, 0, EVALUATION, 0),
        (0, 500, PROBE, 501),
        (1, 0, EVALUATION, 1_000_003),
        (3, 1000, PROBE, 3_001_010),
        (2, 0, FRESH_PROBE, 2_000_013),
        (12345, 999_999, EVALUATION, 12345 * 1_000_003 + 999_999),
    ],
)
def test_step_seed_is_seed_times_stride_plus_step_plus_stream(seed, step, stream, expected) -> None:
    assert step_seed(seed, step, stream) == expected


def test_training_seed_is_seed_plus_stream() -> None:
    assert (training_seed(0, LATENTS), training_seed(0, DATA)) == (1, 2)
    assert (training_seed(41, LATENTS), training_seed(41, DATA)) == (42, 43)
    assert len({LATENTS, DATA}) == 2


def test_streams_at_one_step_are_distinct() -> None:
    assert len(set(STEP_STREAMS)) == len(STEP_STREAMS)
    for seed, step in itertools.product((0, 1, 7, 10**6), (0, 1, 499, STRIDE - 8)):
        assert len({step_seed(seed, step, stream) for stream in STEP_STREAMS}) == len(STEP_STREAMS)


@pytest.mark.parametrize("stream", STEP_STREAMS)
def test_seed_and_step_below_the_stride_are_recovered_from_a_stream_seed(stream: int) -> None:
    # divmod gives (seed, step) back from a stream's seed: within a stream, no two (seed, step) pairs collide.
    for seed, step in itertools.product((0, 1, 2, 999, 10**9), (0, 1, 1000, STRIDE - 1)):
        assert divmod(step_seed(seed, step, stream) - stream, STRIDE) == (seed, step)
    # the boundary: the last step below the stride of one seed and step 0 of the next are neighbours
    assert step_seed(4, STRIDE - 1, stream) + 1 == step_seed(5, 0, stream)


@pytest.mark.parametrize("stream", STEP_STREAMS)
def test_every_seed_a_run_may_have_gives_seeds_torch_takes(stream: int) -> None:
    # train.seed is in [0, 2^63); seed * stride alone passes 2^64, which manual_seed refuses (an OverflowError)
    largest = step_seed(2**63 - 1, 10**6, stream)
    assert 0 <= largest < 2**64 and largest == ((2**63 - 1) * STRIDE + 10**6 + stream) % 2**64
    torch.Generator().manual_seed(largest)
    # odd stride: modulo 2^64 the largest seeds still never share a stream seed at one step
    assert len({step_seed(2**63 - k, 5, stream) for k in range(1, 100)}) == 99
