"""Constraints on the critic module, and instance noise."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize
from torch.testing import assert_close

from wganlab.config import ObjectiveConfig
from wganlab.errors import ConfigError
from wganlab.objectives.constraints import (
    CONSTRAINTS,
    Constraint,
    add_instance_noise,
    apply_spectral_norm,
    clip_gradient_norm_,
    clip_weights_,
    instance_noise_std,
    max_norm_,
)


def make_constraint(name: str, **options: float) -> Constraint:
    return CONSTRAINTS.resolve(name).make(ObjectiveConfig(constraint=name, **options))


def _mlp(scale: float = 1.0, seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    critic = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 1))
    with torch.no_grad():
        for parameter in critic.parameters():
            parameter.mul_(scale)
    return critic


def _conv_net(scale: float = 1.0, seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    critic = nn.Sequential(
        nn.Conv2d(3, 6, 3, stride=2, padding=1),
        nn.LeakyReLU(0.2),
        nn.Conv2d(6, 8, 3, stride=2, padding=1),
        nn.Flatten(),
        nn.Linear(8 * 2 * 2, 1),
    )
    with torch.no_grad():
        for parameter in critic.parameters():
            parameter.mul_(scale)
    return critic


def _copy(module: nn.Module) -> dict[str, torch.Tensor]:
    return {name: p.detach().clone() for name, p in module.named_parameters()}


def test_clip_weights_bounds_every_parameter_and_keeps_inner_ones() -> None:
    critic, c = _mlp(scale=50.0), 0.01
    before = _copy(critic)
    clip_weights_(critic, c)
    for name, parameter in critic.named_parameters():
        assert parameter.abs().max() <= c
        inside = before[name].abs() <= c
        assert_close(parameter[inside], before[name][inside], rtol=0, atol=0)
        assert_close(parameter[~inside], c * before[name][~inside].sign())


def _keras_max_norm(kernel: np.ndarray, max_value: float, axis: tuple[int, ...]) -> np.ndarray:
    """tf.keras.constraints.MaxNorm.__call__, transcribed."""
    norms = np.sqrt(np.sum(np.square(kernel), axis=axis, keepdims=True))
    desired = np.clip(norms, 0, max_value)
    return kernel * (desired / (1e-7 + norms))


@pytest.mark.parametrize("build", [_mlp, _conv_net])
def test_max_norm_matches_keras_per_unit(build) -> None:
    critic, m = build(scale=1.0), 0.6
    before = _copy(critic)
    max_norm_(critic, m)
    layers = [(n, mod) for n, mod in critic.named_modules() if isinstance(mod, (nn.Linear, nn.Conv2d))]
    over = under = 0
    for name, layer in layers:
        old, new = before[f"{name}.weight"], layer.weight.detach()
        assert_close(layer.bias.detach(), before[f"{name}.bias"], rtol=0, atol=0)
        rows_new = new.reshape(new.shape[0], -1).norm(dim=1)
        rows_old = old.reshape(old.shape[0], -1).norm(dim=1)
        assert (rows_new <= m + 1e-6).all()
        assert_close(new[rows_old <= m], old[rows_old <= m], rtol=0, atol=0)
        over, under = over + int((rows_old > m).sum()), under + int((rows_old <= m).sum())
        # Keras layouts: Dense kernel [in, out], Conv2D kernel [kh, kw, in, out]; norm over all but out.
        kernel = old.numpy().T if old.dim() == 2 else old.numpy().transpose(2, 3, 1, 0)
        axis = (0,) if old.dim() == 2 else (0, 1, 2)
        expected = _keras_max_norm(kernel, m, axis)
        expected = expected.T if old.dim() == 2 else expected.transpose(3, 2, 0, 1)
        assert_close(new, torch.from_numpy(np.ascontiguousarray(expected)))
    assert over > 0 and under > 0  # both cases exercised


def _grads(critic: nn.Module) -> torch.Tensor:
    return torch.cat([p.grad.reshape(-1) for p in critic.parameters()])


def test_clip_gradient_norm_rescales_gradients_not_weights() -> None:
    critic = _mlp(scale=3.0)
    critic(torch.randn(16, 4)).pow(2).mean().backward()
    before_grads, before_weights = _grads(critic).clone(), _copy(critic)
    assert before_grads.norm() > 0.5  # clipping must actually act
    clip_gradient_norm_(critic, 0.5)
    after = _grads(critic)
    assert after.norm() <= 0.5 + 1e-6
    assert_close(after, before_grads * (after.norm() / before_grads.norm()))  # same direction
    for name, parameter in critic.named_parameters():
        assert_close(parameter.detach(), before_weights[name], rtol=0, atol=0)


@pytest.mark.parametrize("build, shape", [(_mlp, (5, 4)), (_conv_net, (5, 3, 8, 8))])
def test_spectral_norm_converges_to_unit_sigma(build, shape) -> None:
    critic = build(scale=4.0)
    assert apply_spectral_norm(critic) is critic
    layers = [m for m in critic.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]
    assert layers and all(parametrize.is_parametrized(m, "weight") for m in layers)
    critic.train()
    x = torch.randn(shape, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        for _ in range(50):
            critic(x)
    critic.eval()  # read the effective weight without another power iteration
    for layer in layers:
        weight = layer.weight.detach()
        sigma = torch.linalg.matrix_norm(weight.reshape(weight.shape[0], -1), ord=2)
        assert_close(sigma, torch.tensor(1.0), rtol=0, atol=1e-3)


def test_instance_noise_schedule() -> None:
    assert instance_noise_std(0, 0.8, 100) == pytest.approx(0.8)
    assert instance_noise_std(50, 0.8, 100) == pytest.approx(0.4)
    assert instance_noise_std(100, 0.8, 100) == pytest.approx(0.0)
    assert instance_noise_std(250, 0.8, 100) == pytest.approx(0.0)
    assert instance_noise_std(10_000, 0.8, 0) == pytest.approx(0.8)


def test_add_instance_noise_std_and_reproducibility() -> None:
    points = torch.full((100_000, 2), 3.0)
    noisy = add_instance_noise(points, 0.3, torch.Generator().manual_seed(5))
    again = add_instance_noise(points, 0.3, torch.Generator().manual_seed(5))
    assert_close(noisy, again, rtol=0, atol=0)
    assert_close((noisy - points).std(), torch.tensor(0.3), rtol=0, atol=5e-3)
    assert_close((noisy - points).mean(), torch.tensor(0.0), rtol=0, atol=5e-3)
    assert add_instance_noise(points, 0.0, torch.Generator()) is points


def test_make_constraint_hooks() -> None:
    assert set(CONSTRAINTS) == {"none", "clip", "spectral-norm", "maxnorm", "grad-clip"}
    assert all(entry.description and entry.name == name for name, entry in CONSTRAINTS.items())

    critic = _mlp(scale=50.0)
    before = _copy(critic)
    none = make_constraint("none")
    assert isinstance(none, Constraint) and none.prepare(critic) is critic
    none.before_step(critic)
    none.after_step(critic)
    assert all(torch.equal(p, before[n]) for n, p in critic.named_parameters())

    clip = make_constraint("clip", clip_value=0.05)
    assert clip.clip_value == 0.05 and all(make_constraint(n).clip_value is None for n in CONSTRAINTS if n != "clip")
    clip.before_step(critic)
    bound = torch.tensor(0.05)  # float32, like the parameters
    assert any((p.abs() > bound).any() for p in critic.parameters())  # only after_step clips
    clip.after_step(critic)
    assert all((p.abs() <= bound).all() for p in critic.parameters())

    maxnorm = make_constraint("maxnorm", max_norm=0.2)
    big = _mlp(scale=50.0)
    maxnorm.after_step(big)
    assert big[0].weight.norm(dim=1).max() <= 0.2 + 1e-6

    grad_clip = make_constraint("grad-clip", grad_clip_norm=0.1)
    critic = _mlp(scale=3.0)
    critic(torch.randn(8, 4)).pow(2).mean().backward()
    grad_clip.after_step(critic)
    assert _grads(critic).norm() > 0.1
    grad_clip.before_step(critic)
    assert _grads(critic).norm() <= 0.1 + 1e-6

    wrapped = make_constraint("spectral-norm").prepare(_mlp())
    assert parametrize.is_parametrized(wrapped[0], "weight")

    with pytest.raises(ConfigError, match="unknown objective.constraint 'weight-clipping'"):
        make_constraint("weight-clipping")
