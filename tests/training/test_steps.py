"""critic_step and generator_step on a tiny built run: constraints, frozen players, EMA in closed form."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import Tensor, nn
from torch.testing import assert_close

from wganlab import config as configuration
from wganlab.objectives.objective import Objective
from wganlab.training.build import Run, build
from wganlab.training.state import TrainState
from wganlab.training.steps import critic_step, generator_step

TINY = ["model.width=16", "model.depth=1", "train.batch_size=32", "train.steps=10"]


def _build(*overrides: str) -> tuple[Run, TrainState]:
    return build(configuration.load(None, "grid", [*TINY, *overrides]))


def _batch(run: Run, state: TrainState) -> tuple[Tensor, Tensor]:
    n, latent_dim = run.config.train.batch_size, run.config.model.latent_dim
    real = run.dataset.sample(n, state.data_rng)
    latents = torch.randn(n, latent_dim, generator=state.rng)
    return real, latents


def _parameters(module: nn.Module) -> list[Tensor]:
    return [p.detach().clone() for p in module.parameters()]


def _critic_gradients(run: Run, state: TrainState, real: Tensor, latents: Tensor) -> list[Tensor]:
    """The critic's parameter gradients for one critic step, on copies, with a cloned rng."""
    critic = copy.deepcopy(state.critic)
    rng = torch.Generator().set_state(state.rng.get_state())
    with torch.no_grad():
        fake = state.generator(latents)
    loss, _ = run.objective.critic_phase(critic, real, fake, rng, state.step)
    loss.backward()
    return [p.grad.detach().clone() for p in critic.parameters()]


def test_clip_critic_step_is_sgd_then_clamp() -> None:
    clip = 0.01
    run, state = _build(
        'objective.penalty="none"', 'objective.constraint="clip"', f"objective.clip_value={clip}"
    )
    lr = 0.05
    state.critic_optimizer = torch.optim.SGD(state.critic.parameters(), lr=lr)
    real, latents = _batch(run, state)
    before = _parameters(state.critic)
    generator_before = _parameters(state.generator)
    gradients = _critic_gradients(run, state, real, latents)

    stats = critic_step(state, run.objective, real, latents)

    after = _parameters(state.critic)
    for p in after:
        assert p.abs().max() <= clip
    for b, g, a in zip(before, gradients, after, strict=True):
        assert_close(a, (b - lr * g).clamp(-clip, clip))
    assert any(not torch.equal(b, a) for b, a in zip(before, after, strict=True))
    for p, b in zip(state.generator.parameters(), generator_before, strict=True):
        assert torch.equal(p, b) and p.grad is None
    assert set(stats) == {"critic/loss", "critic/estimate", "critic/real_score", "critic/fake_score"}


def test_clip_critic_step_from_inside_the_box() -> None:
    """Start every parameter inside [-c, c] so the optimiser's move is visible before the clamp."""
    clip = 0.01
    run, state = _build(
        'objective.penalty="none"', 'objective.constraint="clip"', f"objective.clip_value={clip}"
    )
    with torch.no_grad():
        for p in state.critic.parameters():
            p.mul_(clip / 2 / p.abs().max())
    state.critic_optimizer = torch.optim.SGD(state.critic.parameters(), lr=1e-3)
    real, latents = _batch(run, state)
    before = _parameters(state.critic)
    gradients = _critic_gradients(run, state, real, latents)
    critic_step(state, run.objective, real, latents)
    for b, g, a in zip(before, gradients, state.critic.parameters(), strict=True):
        assert a.abs().max() <= clip
        assert_close(a.detach(), (b - 1e-3 * g).clamp(-clip, clip))
    assert any(not torch.equal(b, a) for b, a in zip(before, state.critic.parameters(), strict=True))


def test_grad_clip_bounds_the_step() -> None:
    bound = 1e-3
    run, state = _build('objective.constraint="grad-clip"', f"objective.grad_clip_norm={bound}")
    state.critic_optimizer = torch.optim.SGD(state.critic.parameters(), lr=1.0)
    real, latents = _batch(run, state)
    gradients = _critic_gradients(run, state, real, latents)
    raw_norm = torch.cat([g.reshape(-1) for g in gradients]).norm()
    assert raw_norm > 10 * bound  # the bound is active
    before = _parameters(state.critic)
    critic_step(state, run.objective, real, latents)
    change = torch.cat(
        [(a.detach() - b).reshape(-1) for a, b in zip(state.critic.parameters(), before, strict=True)]
    )
    assert change.norm() <= bound * 1.0 + 1e-6
    assert_close(change.norm(), torch.tensor(bound), rtol=1e-3, atol=0.0)  # clipped to the bound, not below
    # the direction is the raw gradient's
    raw = torch.cat([g.reshape(-1) for g in gradients])
    assert_close(change, -raw * (bound / raw_norm), rtol=1e-3, atol=1e-7)  # float32 parameters ~ 1


def test_generator_step_freezes_the_critic_and_moves_the_generator() -> None:
    run, state = _build()
    _, latents = _batch(run, state)
    critic_before = _parameters(state.critic)
    generator_before = _parameters(state.generator)
    stats = generator_step(state, run.objective, latents, ema_decay=0.0)
    assert set(stats) == {"generator/loss"}
    for p, b in zip(state.critic.parameters(), critic_before, strict=True):
        assert torch.equal(p, b)
        assert p.grad is None
        assert p.requires_grad
    changed = [
        not torch.equal(p, b) for p, b in zip(state.generator.parameters(), generator_before, strict=True)
    ]
    assert all(changed)
    assert all(p.grad is not None for p in state.generator.parameters())


def test_generator_step_freezes_critic_during_the_loss(monkeypatch: pytest.MonkeyPatch) -> None:
    run, state = _build()
    _, latents = _batch(run, state)
    seen: list[bool] = []
    original = Objective.generator_phase

    def recording(self: Objective, critic: nn.Module, *args: object) -> tuple[Tensor, dict[str, Tensor]]:
        seen.extend(p.requires_grad for p in critic.parameters())
        return original(self, critic, *args)

    monkeypatch.setattr(Objective, "generator_phase", recording)
    generator_step(state, run.objective, latents, ema_decay=0.0)
    assert seen and not any(seen)
    assert all(p.requires_grad for p in state.critic.parameters())


def test_generator_step_restores_requires_grad_when_the_loss_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    run, state = _build()
    _, latents = _batch(run, state)

    def raising(self: Objective, critic: nn.Module, *args: object) -> tuple[Tensor, dict[str, Tensor]]:
        assert not any(p.requires_grad for p in critic.parameters())
        raise RuntimeError("boom")

    monkeypatch.setattr(Objective, "generator_phase", raising)
    with pytest.raises(RuntimeError, match="boom"):
        generator_step(state, run.objective, latents, ema_decay=0.0)
    assert all(p.requires_grad for p in state.critic.parameters())


def test_generator_step_updates_ema_in_closed_form() -> None:
    decay = 0.9
    run, state = _build(f"train.ema_decay={decay}")
    assert state.generator_ema is not None
    for _ in range(2):  # after the first step the EMA and the generator differ
        _, latents = _batch(run, state)
        ema_before = _parameters(state.generator_ema)
        generator_before = _parameters(state.generator)
        generator_step(state, run.objective, latents, ema_decay=decay)
        for ema, old, new, generator_old in zip(
            state.generator_ema.parameters(),
            ema_before,
            state.generator.parameters(),
            generator_before,
            strict=True,
        ):
            assert not torch.equal(new, generator_old)
            assert_close(ema, decay * old + (1 - decay) * new.detach(), rtol=1e-6, atol=1e-7)
            assert not ema.requires_grad
    assert any(
        not torch.equal(e, g)
        for e, g in zip(state.generator_ema.parameters(), state.generator.parameters(), strict=True)
    )
