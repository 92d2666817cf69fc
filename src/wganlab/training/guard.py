"""The non-finite guard: a run stops (or rolls back) at the first step whose loss, gradient or parameter is not
finite, so no checkpoint of a broken run is ever written and the last finite one survives pruning.

Every step pays for one check: the step's statistics and the sum of every parameter, in one tensor, read once
(under 1 % of a toy step, docs/benchmarks.md). A NaN or infinity anywhere makes that sum non-finite; only then
does `locate` walk the tensors to name the first culprit. A finite but huge sum that overflows is not a
false alarm: `locate` finds nothing and training goes on.

Under fp16 loss scaling an overflowing gradient is the scaler's business: it skips that update and halves its
scale (build.py). So the losses of a skipped update and the gradients are not checked there; the
parameters are, and so is the scale, whose fall below MIN_SCALE is the failure.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import torch
from torch import Tensor, nn

from wganlab import rundir
from wganlab.errors import CollectiveError
from wganlab.training import checkpoint
from wganlab.training.distributed import Team
from wganlab.training.step import Run, TrainState

MIN_SCALE = 2.0**-16  # an fp16 loss scale below this means the losses are not finite even unscaled


class NonFiniteError(CollectiveError):
    """Training produced a NaN or an infinity: the message names the step, the quantity and the last finite
    checkpoint, and how to go on."""


def checked(stats: dict[str, Tensor]) -> dict[str, Tensor]:
    """The statistics the guard checks: all of them, but under fp16 loss scaling, where the losses of an update the
    scaler skipped may be infinite by design, only the scales then; a scale below MIN_SCALE is made NaN."""
    scales = {key: value for key, value in stats.items() if key.startswith("amp/") and key.endswith("_scale")}
    if not scales:
        return stats
    skipped = any(float(value) for key, value in stats.items() if key.startswith("amp/") and key.endswith("_skipped"))
    kept = {key: value for key, value in stats.items() if key not in scales} if not skipped else {}
    for key, value in scales.items():
        low = float(value) < MIN_SCALE
        kept[f"{key} (below {MIN_SCALE:g}: the fp16 losses are not finite even unscaled)" if low else key] = (
            torch.full_like(value, float("nan")) if low else value
        )
    return kept


def quick_check(stats: dict[str, Tensor], parameters: list[Tensor]) -> bool:
    """True when every statistic and the sum of every parameter are finite: one device read per step."""
    with torch.no_grad():
        values = [value.detach().reshape(1).float() for value in stats.values()]
        values += [torch.stack([p.sum() for p in parameters]).sum().reshape(1).float()] if parameters else []
        return bool(torch.isfinite(torch.cat(values)).all())


def locate(stats: dict[str, Tensor], state: TrainState, with_optimizers: bool = False) -> str | None:
    """The first non-finite quantity, in causal order: a loss or statistic, a gradient, a parameter (then, with
    `with_optimizers`, an optimiser's state); None when everything is finite."""
    for name, value in stats.items():
        if not bool(torch.isfinite(value.detach()).all()):
            return f"{name} ({float(value.detach().reshape(-1)[0])})"
    for label, tensor in _tensors(state, with_optimizers, gradients=not state.critic_scaler.is_enabled()):
        if not bool(torch.isfinite(tensor.detach()).all()):
            return label
    return None


def agree(team: Team, problem: str | None, device: torch.device) -> str | None:
    """The ranks' common verdict: None when no rank located a problem, else rank 0's (or, when rank 0 saw none,
    a statistic of another rank's shard)."""
    if team.world == 1 or team.all_true(problem is None, device):
        return problem
    return team.broadcast(problem) or "a loss or statistic of another rank's shard"


def parameters(state: TrainState) -> list[Tensor]:
    """The tensors `quick_check` sums: both networks' parameters and the EMA generator's."""
    networks = [state.generator, state.critic] + ([state.generator_ema] if state.generator_ema is not None else [])
    return [p.detach() for network in networks for p in network.parameters()]


def _tensors(state: TrainState, with_optimizers: bool, gradients: bool = True) -> Iterator[tuple[str, Tensor]]:
    networks: list[tuple[str, nn.Module | None]] = [
        ("generator", state.generator), ("critic", state.critic), ("generator EMA", state.generator_ema)
    ]
    for network_name, network in networks if gradients else []:
        for name, parameter in network.named_parameters() if network is not None else []:
            if parameter.grad is not None:
                yield f"the gradient of {network_name} parameter {name}", parameter.grad
    for network_name, network in networks:
        for name, parameter in network.named_parameters() if network is not None else []:
            yield f"{network_name} parameter {name}", parameter
    if with_optimizers:
        for optimizer_name, optimizer in (("generator", state.generator_optimizer), ("critic", state.critic_optimizer)):
            for index, moments in enumerate(optimizer.state.values()):
                for key, value in moments.items():
                    if isinstance(value, Tensor) and value.is_floating_point():
                        yield f"the {optimizer_name} optimiser's {key} of parameter {index}", value


def scale_learning_rates(state: TrainState, factor: float) -> None:
    """Multiply both optimisers' learning rates, and their schedules' base rates, by `factor`."""
    for optimizer, scheduler in (
        (state.generator_optimizer, state.generator_scheduler),
        (state.critic_optimizer, state.critic_scheduler),
    ):
        scheduler.base_lrs = [rate * factor for rate in scheduler.base_lrs]
        for group in optimizer.param_groups:
            group["lr"] *= factor
            if "initial_lr" in group:
                group["initial_lr"] *= factor


def recover(
    folder: Path | None, run: Run, state: TrainState, problem: str, initial: bytes | None, console: TextIO
) -> None:
    """After a non-finite step: stop (train.on_nonfinite = "stop", or no rollback left) with a NonFiniteError, or
    roll back in place to the last finite checkpoint (or the start) with both learning rates lowered by
    train.rollback_factor. Either way a line goes to events.jsonl. In a distributed run every rank calls this
    together: rank 0 (the one with the `folder`) finds the checkpoint and sends it to the others."""
    train, team = run.config.train, run.team
    found = rundir.checkpoints(folder) if folder is not None else []
    latest = team.broadcast(found[-1] if found else None)
    event = {"step": state.step, "event": "nonfinite", "quantity": problem}
    if train.on_nonfinite == "stop" or state.rollbacks >= train.max_rollbacks:
        if folder is not None:
            rundir.append_jsonl(folder / rundir.EVENTS, event | {"action": "stop"})
        where = f"the last finite checkpoint is {latest}" if latest else "no checkpoint had been written yet"
        advice = (f"after {state.rollbacks} rollbacks (train.max_rollbacks); lower the learning rates further"
                  if train.on_nonfinite == "rollback" else
                  'lower optim.lr_critic and optim.lr_generator, or set train.on_nonfinite = "rollback"')
        raise NonFiniteError(f"training stopped at step {state.step}: {problem} is not finite; {where}; {advice}")
    failed_step, scale, count = state.step, state.lr_scale * train.rollback_factor, state.rollbacks + 1
    assert latest is not None or initial is not None, "rollback needs a checkpoint or the initial state"
    if latest is None:
        payload = checkpoint.decode(initial, "the initial state")  # the same on every rank
    else:
        payload = team.broadcast(checkpoint.read(latest) if folder is not None else None)
    checkpoint.restore(state, payload)
    scale_learning_rates(state, scale / state.lr_scale)
    state.lr_scale, state.rollbacks = scale, count
    if folder is None:
        return
    rundir.cut_back(folder, state.step)
    rundir.append_jsonl(folder / rundir.EVENTS, event | {"action": "rollback", "to_step": state.step,
                                                         "lr_scale": scale, "rollback": count})
    print(f"step {failed_step}: {problem} is not finite; rolled back to step {state.step} with learning rates "
          f"x{scale:g} (rollback {count} of {train.max_rollbacks})", file=console, flush=True)
