"""The training step (training/step.py): the state, the critic-iteration schedule, critic_step and generator_step
on a tiny built run (constraints, frozen players, EMA in closed form), and the EMA's update formula."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import Tensor, nn
from torch.testing import assert_close

from wganlab import config as configuration
from wganlab.objectives.objective import Objective
from wganlab.training import step
from wganlab.training.build import build
from wganlab.training.step import (
    Run,
    TrainState,
    critic_iters_at,
    critic_step,
    generator_step,
    make_ema,
    train_step,
    update_ema,
)

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
    real, latents = _batch(run, state)
    critic_before = _parameters(state.critic)
    generator_before = _parameters(state.generator)
    stats = generator_step(state, run.objective, real, latents, ema_decay=0.0)
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
    real, latents = _batch(run, state)
    seen: list[bool] = []
    original = Objective.generator_phase

    def recording(self: Objective, critic: nn.Module, *args: object) -> tuple[Tensor, dict[str, Tensor]]:
        seen.extend(p.requires_grad for p in critic.parameters())
        return original(self, critic, *args)

    monkeypatch.setattr(Objective, "generator_phase", recording)
    generator_step(state, run.objective, real, latents, ema_decay=0.0)
    assert seen and not any(seen)
    assert all(p.requires_grad for p in state.critic.parameters())


def test_generator_step_restores_requires_grad_when_the_loss_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    run, state = _build()
    real, latents = _batch(run, state)

    def raising(self: Objective, critic: nn.Module, *args: object) -> tuple[Tensor, dict[str, Tensor]]:
        assert not any(p.requires_grad for p in critic.parameters())
        raise RuntimeError("boom")

    monkeypatch.setattr(Objective, "generator_phase", raising)
    with pytest.raises(RuntimeError, match="boom"):
        generator_step(state, run.objective, real, latents, ema_decay=0.0)
    assert all(p.requires_grad for p in state.critic.parameters())


def test_generator_step_updates_ema_in_closed_form() -> None:
    decay = 0.9
    run, state = _build(f"train.ema_decay={decay}")
    assert state.generator_ema is not None
    for _ in range(2):  # after the first step the EMA and the generator differ
        real, latents = _batch(run, state)
        ema_before = _parameters(state.generator_ema)
        generator_before = _parameters(state.generator)
        generator_step(state, run.objective, real, latents, ema_decay=decay)
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


def _state(with_ema: bool) -> TrainState:
    generator, critic = nn.Linear(2, 2), nn.Linear(2, 1)
    generator_optimizer = torch.optim.SGD(generator.parameters(), lr=0.1)
    critic_optimizer = torch.optim.SGD(critic.parameters(), lr=0.1)
    return TrainState(
        generator=generator,
        critic=critic,
        generator_ema=make_ema(generator) if with_ema else None,
        generator_optimizer=generator_optimizer,
        critic_optimizer=critic_optimizer,
        generator_scheduler=torch.optim.lr_scheduler.LambdaLR(generator_optimizer, lambda step: 1.0),
        critic_scheduler=torch.optim.lr_scheduler.LambdaLR(critic_optimizer, lambda step: 1.0),
        rng=torch.Generator().manual_seed(1),
        data_rng=torch.Generator().manual_seed(2),
    )


def test_sampler_is_the_ema_when_there_is_one() -> None:
    state = _state(with_ema=True)
    assert state.sampler is state.generator_ema
    assert state.sampler is not state.generator


def test_sampler_is_the_generator_without_ema() -> None:
    state = _state(with_ema=False)
    assert state.sampler is state.generator


def test_a_new_state_starts_at_step_zero_with_no_time() -> None:
    state = _state(with_ema=False)
    assert state.step == 0 and state.train_seconds == 0.0


@pytest.mark.parametrize(
    "at, expected",
    [(0, 100), (1, 100), (24, 100), (25, 5), (26, 5), (499, 5), (500, 100), (501, 5), (1000, 100), (1001, 5)],
)
def test_warmup_schedule(at: int, expected: int) -> None:
    assert critic_iters_at(at, 5, warmup=True) == expected


def test_warmup_covers_exactly_the_first_25_steps_and_every_500th() -> None:
    warm = [at for at in range(2001) if critic_iters_at(at, 5, warmup=True) == 100]
    assert warm == list(range(25)) + [500, 1000, 1500, 2000]


@pytest.mark.parametrize("critic_iters", [1, 2, 5])
def test_without_warmup_always_n_critic(critic_iters: int) -> None:
    assert {critic_iters_at(step, critic_iters, warmup=False) for step in range(1501)} == {critic_iters}


def _linear(weight: list[list[float]], bias: list[float]) -> nn.Linear:
    layer = nn.Linear(len(weight[0]), len(weight))
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(weight))
        layer.bias.copy_(torch.tensor(bias))
    return layer


def test_update_ema_formula() -> None:
    ema = _linear([[1.0, 2.0], [3.0, 4.0]], [0.0, -1.0])
    model = _linear([[3.0, 0.0], [-1.0, 4.0]], [2.0, 1.0])
    update_ema(ema, model, decay=0.75)
    # 0.75 * ema + 0.25 * model
    assert_close(ema.weight.detach(), torch.tensor([[1.5, 1.5], [2.0, 4.0]]))
    assert_close(ema.bias.detach(), torch.tensor([0.5, -0.5]))
    assert_close(model.weight.detach(), torch.tensor([[3.0, 0.0], [-1.0, 4.0]]))  # the source is untouched


def test_update_ema_decay_limits() -> None:
    ema = _linear([[1.0, 2.0]], [3.0])
    model = _linear([[5.0, -6.0]], [7.0])
    update_ema(ema, model, decay=1.0)
    assert_close(ema.weight.detach(), torch.tensor([[1.0, 2.0]]))
    update_ema(ema, model, decay=0.0)
    assert_close(ema.weight.detach(), torch.tensor([[5.0, -6.0]]))
    assert_close(ema.bias.detach(), torch.tensor([7.0]))


def test_update_ema_copies_buffers() -> None:
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    ema = make_ema(model)
    model.train()
    model(torch.randn(16, 2, generator=torch.Generator().manual_seed(0)))  # moves the running statistics
    assert not torch.equal(ema[1].running_mean, model[1].running_mean)
    update_ema(ema, model, decay=0.9)
    assert torch.equal(ema[1].running_mean, model[1].running_mean)
    assert torch.equal(ema[1].running_var, model[1].running_var)
    assert torch.equal(ema[1].num_batches_tracked, model[1].num_batches_tracked)


def test_make_ema_is_a_frozen_independent_copy() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
    ema = make_ema(model)
    assert ema is not model
    assert not ema.training
    assert all(not p.requires_grad for p in ema.parameters())
    assert all(p.requires_grad for p in model.parameters())  # freezing the copy leaves the source alone
    for e, m in zip(ema.parameters(), model.parameters(), strict=True):
        assert torch.equal(e, m)
        assert e.data_ptr() != m.data_ptr()
    ema_before = [p.clone() for p in ema.parameters()]
    with torch.no_grad():
        for p in model.parameters():
            p.add_(1.0)
    for e, before in zip(ema.parameters(), ema_before, strict=True):
        assert torch.equal(e, before)


def _critic_iterations(run, state, at: int) -> int:
    """How many real batches one train_step draws at generator step `at` (one per critic iteration)."""
    state.step = at
    before = torch.Generator().set_state(state.data_rng.get_state())
    train_step(run, state)
    after = state.data_rng.get_state()
    for count in range(1, 200):
        run.dataset.sample(run.config.train.batch_size, before)
        if torch.equal(before.get_state(), after):
            return count
    raise AssertionError("more than 200 real batches in one generator step")


@pytest.mark.parametrize(
    ("warmup", "at", "expected"),
    [(False, 0, 3), (True, 0, 100), (True, 25, 3), (True, 500, 100)],
)
def test_train_step_runs_critic_iters_at_the_step(warmup: bool, at: int, expected: int) -> None:
    run, state = _build("train.critic_iters=3", f"train.critic_warmup={str(warmup).lower()}")
    assert _critic_iterations(run, state, at) == expected


def test_train_step_steps_both_schedulers_once_and_moves_the_generator() -> None:
    run, state = _build("train.steps=4", "optim.decay_steps=4")
    before = [p.detach().clone() for p in state.generator.parameters()]
    train_step(run, state)
    assert state.step == 0  # the loop counts steps, not train_step
    for scheduler in (state.generator_scheduler, state.critic_scheduler):
        assert scheduler.get_last_lr() == [pytest.approx(5e-4 * (1 - 1 / 4), rel=1e-12)]
    assert any(not torch.equal(p, q) for p, q in zip(state.generator.parameters(), before, strict=True))


def test_the_generator_step_takes_train_generator_batch_size_latents(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    original = step.generator_step

    def record(state, objective, real, latents, ema_decay, execution, *labels):
        seen.append(len(latents))
        return original(state, objective, real, latents, ema_decay, execution, *labels)

    monkeypatch.setattr(step, "generator_step", record)
    for extra, expected in ((), 32), (("train.generator_batch_size=48",), 48):
        run, state = _build("train.critic_iters=1", *extra)
        train_step(run, state)
        assert seen[-1] == expected  # TINY's batch_size is 32


def test_the_generator_phase_is_given_the_last_critic_update_s_real_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    """RpGAN pairs the generator's fakes with real rows: those of the last critic update (R3GAN's code uses its
    iteration's one real batch for both players), drawn once, not a fresh batch that would shift the data stream."""
    critic_batches: list[Tensor] = []
    given: list[Tensor] = []
    original_critic, original_phase = step.critic_step, Objective.generator_phase

    def critic_record(state, objective, real, latents, execution, *labels):
        critic_batches.append(real.clone())
        return original_critic(state, objective, real, latents, execution, *labels)

    def phase_record(self, critic, real, fake, rng, at, *labels):
        given.append(real.clone())
        return original_phase(self, critic, real, fake, rng, at, *labels)

    monkeypatch.setattr(step, "critic_step", critic_record)
    monkeypatch.setattr(Objective, "generator_phase", phase_record)
    run, state = _build("train.critic_iters=3", "objective.loss=rpgan", "objective.penalty=r1+r2",
                        "objective.penalty_weight=0.5")
    data_before = state.data_rng.get_state()
    step.train_step(run, state)
    assert len(critic_batches) == 3 and len(given) == 1
    assert torch.equal(given[0], critic_batches[-1]) and not torch.equal(given[0], critic_batches[0])
    replay = torch.Generator().set_state(data_before)
    for _ in range(3):
        run.dataset.sample(run.config.train.batch_size, replay)
    assert torch.equal(replay.get_state(), state.data_rng.get_state())  # three draws, none for the generator
