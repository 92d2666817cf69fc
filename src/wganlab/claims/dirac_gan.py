"""The Dirac-GAN (Mescheder, Geiger, Nowozin 2018, Sec. 2): one generator parameter against a linear critic.

The data are the point 0, the generator is the point theta, and the discriminator is D(x) = psi * x,
so the equilibrium is (theta, psi) = (0, 0). Both players are trained with wganlab's own objectives
(losses, penalties, constraints, instance noise) and critic step; only the networks are one-dimensional.

Sign: the paper's discriminator scores fakes high (L = f(psi theta) + f(0), f(t) = -log(1 + e^-t)),
wganlab's critics score real data high, so the critic here is x -> w x with w = -psi. With that, the
trajectories in (theta, psi) are the official notebook's (GAN_stability, notebooks/diracgan).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from wganlab.objectives.objective import Objective
from wganlab.training.step import update_critic


@dataclass(frozen=True)
class Dynamics:
    """How the two players move: the official notebook's step size 0.2, start (1, 1) and 500 steps."""

    step_size: float = 0.2  # plain gradient descent for both players
    steps: int = 500  # generator steps
    critic_steps: int = 1  # critic steps per generator step (n_critic)
    simultaneous: bool = False  # True: both gradients at the same point; False: generator first, then critic
    draws: int = 1  # copies of the real and the fake point per batch: the Monte Carlo sample of instance noise
    theta: float = 1.0
    psi: float = 1.0


def _batches(theta: Tensor, draws: int) -> tuple[Tensor, Tensor]:
    """The real batch (zeros) and the fake batch (theta repeated), each [draws, 1]."""
    return torch.zeros(draws, 1, dtype=theta.dtype), theta.reshape(1, 1).expand(draws, 1)


def _generator_gradient(
    objective: Objective, critic: nn.Module, theta: Tensor, draws: int, rng: torch.Generator
) -> Tensor:
    """dL_G/dtheta through a frozen critic (as training.step.generator_step)."""
    critic.requires_grad_(False)
    try:
        loss, _ = objective.generator_phase(critic, *_batches(theta, draws), rng, 0)
        (gradient,) = torch.autograd.grad(loss, theta)
    finally:
        critic.requires_grad_(True)
    return gradient


def simulate(objective: Objective, dynamics: Dynamics, rng: torch.Generator) -> Tensor:
    """[steps + 1, 2] iterates (theta, psi) of gradient descent from (dynamics.theta, dynamics.psi).

    One step is one generator update and `critic_steps` critic updates (wganlab's critic step with SGD,
    so weight clipping and instance noise act as in training); the notebook's trajectory_altgd order
    (generator first) or trajectory_simgd (both from the same point) when `simultaneous`.
    """
    theta = torch.tensor(dynamics.theta, requires_grad=True)
    critic = nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        critic.weight.fill_(-dynamics.psi)
    objective.constraint.after_step(critic)  # the notebook projects the start too
    optimiser = torch.optim.SGD(critic.parameters(), lr=dynamics.step_size)
    path = [(dynamics.theta, -critic.weight.item())]
    for _ in range(dynamics.steps):
        gradient = _generator_gradient(objective, critic, theta, dynamics.draws, rng)
        if not dynamics.simultaneous:
            with torch.no_grad():
                theta -= dynamics.step_size * gradient
        for _ in range(dynamics.critic_steps):
            update_critic(critic, optimiser, objective, *_batches(theta.detach(), dynamics.draws), rng, 0)
        if dynamics.simultaneous:
            with torch.no_grad():
                theta -= dynamics.step_size * gradient
        path.append((theta.item(), -critic.weight.item()))
    return torch.tensor(path, dtype=torch.float64)  # [steps + 1, 2]


def vector_field(objective: Objective, theta: float, psi: float, rng: torch.Generator, draws: int = 1) -> Tensor:
    """v(theta, psi) = (-dL_G/dtheta, -dL_D/dpsi), the gradient-descent direction (Mescheder 2018, Sec. 2); [2]."""
    point = torch.tensor([theta, psi], dtype=torch.float64, requires_grad=True)

    def critic(x: Tensor) -> Tensor:  # [N, 1] -> [N, 1]
        return -point[1] * x

    real, fake = _batches(point[0], draws)
    critic_loss, _ = objective.critic_phase(critic, real, fake, rng, 0)
    generator_loss, _ = objective.generator_phase(critic, real, fake, rng, 0)
    (critic_gradient,) = torch.autograd.grad(critic_loss, point)
    (generator_gradient,) = torch.autograd.grad(generator_loss, point)
    return -torch.stack([generator_gradient[0], critic_gradient[1]])


def jacobian_eigenvalues(objective: Objective, rng: torch.Generator, draws: int = 1, delta: float = 1e-5) -> Tensor:
    """[2] complex eigenvalues of the Jacobian of v at the equilibrium (0, 0), by central differences.

    The same noise draws are used at every point, so the differences are those of one smooth field.
    Unregularised GAN: +-f'(0) i = +-i/2 (purely imaginary: no convergence); R1 with weight gamma/2:
    -gamma/2 +- sqrt(gamma^2/4 - 1/4) (negative real parts for every gamma > 0).
    """
    state = rng.get_state()

    def field(theta: float, psi: float) -> Tensor:
        rng.set_state(state)
        return vector_field(objective, theta, psi, rng, draws)

    d_theta = (field(delta, 0.0) - field(-delta, 0.0)) / (2 * delta)  # [2]
    d_psi = (field(0.0, delta) - field(0.0, -delta)) / (2 * delta)  # [2]
    return torch.linalg.eigvals(torch.stack([d_theta, d_psi], dim=1))  # [2]
