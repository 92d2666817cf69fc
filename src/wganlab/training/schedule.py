"""How many critic iterations each generator step gets."""

from __future__ import annotations

WARMUP_ITERS = 100
WARMUP_STEPS = 25
WARMUP_EVERY = 500


def critic_iters_at(step: int, critic_iters: int, warmup: bool) -> int:
    """n_critic at generator step `step` (0-based).

    With `warmup`, the WGAN code's schedule: 100 iterations for the first 25 generator steps and every
    500th, so the critic is near optimal before the generator moves (Arjovsky et al. 2017, Algorithm 1 code).
    """
    if warmup and (step < WARMUP_STEPS or step % WARMUP_EVERY == 0):
        return WARMUP_ITERS
    return critic_iters
