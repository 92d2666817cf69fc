"""The random streams of a run, each a function of its seed (`train.seed`), so that none disturbs another.

Training draws latents and interpolation weights from one generator and real batches from another;
evaluations and probes each draw from a generator of their own, seeded by the step, so measuring a run
never changes what it trains on and a resumed run measures exactly what an uninterrupted one would.
"""

from __future__ import annotations

LATENTS, DATA = 1, 2  # training generators: seed + stream
EVALUATION, PROBE, FRESH_PROBE = 0, 1, 7  # per-step streams: the loop's evaluation and probe, `wganlab diagnose`
_STEP_STRIDE = 1_000_003  # a prime larger than any step count: within a stream, no two (seed, step) share a seed
_SEEDS = 2**64  # torch.Generator.manual_seed takes [0, 2^64); odd _STEP_STRIDE keeps seeds apart modulo it


def training_seed(seed: int, stream: int) -> int:
    """The seed of a training generator (LATENTS or DATA)."""
    return seed + stream


def step_seed(seed: int, step: int, stream: int) -> int:
    """(seed * 1,000,003 + step + stream) mod 2^64: the seed of an evaluation or probe at `step`. The modulus keeps
    every seed a run may have ([0, 2^63)) within what torch's generators take; it changes none below 2^63 / 10^6."""
    return (seed * _STEP_STRIDE + step + stream) % _SEEDS
