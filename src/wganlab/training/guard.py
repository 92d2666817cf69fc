"""The non-finite guard: a run stops (or rolls back) at the first step whose loss, gradient or parameter is not
finite, so no checkpoint of a broken run is ever written and the last finite one survives pruning.

Every step adds its verdict to a `Tally` kept on the device, without waiting for it: whether each statistic is
finite, and each parameter's norm (one `foreach` norm: not finite where a parameter holds a NaN or an infinity;
a huge finite parameter whose norm overflows is checked entry by entry when read, and is no failure). The loop
reads the tally, in one transfer, only where it logs, evaluates or checkpoints, and at least every 100 steps
(training/loop.py), so between those points a GPU step never waits for the host; the tally still
names the first non-finite step and the first quantity that was not finite there, in causal order (a statistic,
then a parameter). Before a checkpoint, `locate` walks every tensor (the optimisers' state too).

Under fp16 loss scaling an overflowing gradient is the scaler's business: it skips that update and halves its
scale (build.py). So the losses of a skipped update and the gradients are not checked there; the
parameters are, and so is the scale, whose fall below MIN_SCALE is the failure.
"""

from __future__ import annotations

import math
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
NAN = float("nan")
BELOW = f"below {MIN_SCALE:g}: the fp16 losses are not finite even unscaled"


class NonFiniteError(CollectiveError):
    """Training produced a NaN or an infinity: the message names the step, the quantity and the last finite
    checkpoint, and how to go on."""


def verdict(stats: dict[str, Tensor], watched: list[tuple[str, Tensor]], members: int = 0) -> tuple[list[str], Tensor]:
    """The names and values ([K, M] float32 on the device; K = 1 for one run, else a sweep's `members`) of what the
    guard checks after a step, each finite exactly when it passes: each statistic (under fp16 a skipped update's
    losses counted as 0, a scale below MIN_SCALE as NaN), then each watched parameter's norm."""
    rows = max(members, 1)
    scales = [key for key in stats if _amp(key, "scale")]
    skips = [key for key in stats if _amp(key, "skipped")]
    others = [key for key in stats if key not in scales]
    with torch.no_grad():
        values = torch.stack([stats[key].detach().float().reshape(rows) for key in [*others, *scales]], dim=1)
        if scales:
            split = len(others)
            skipped = torch.stack([stats[key].detach().reshape(rows) for key in skips], 1).amax(1, keepdim=True) > 0
            losses, scales_now = values[:, :split].masked_fill(skipped, 0.0), values[:, split:]
            values = torch.cat([losses, scales_now.masked_fill(scales_now < MIN_SCALE, NAN)], dim=1)
        if watched:
            values = torch.cat([values, _norms([tensor for _, tensor in watched], members).float()], dim=1)
    return [*others, *scales, *(label for label, _ in watched)], values


def _amp(key: str, kind: str) -> bool:
    """Whether `key` is an fp16 scaler's statistic of `kind` (training/step.py: amp/critic_scale, ..._skipped)."""
    return key.startswith("amp/") and key.endswith(f"_{kind}")


def _norms(tensors: list[Tensor], members: int) -> Tensor:
    """Each tensor's norm, not finite where it holds a NaN or an infinity (or, finite, overflows float32: entries
    above about 1e19, which `Tally.read` then checks entry by entry): [1, P] by one foreach norm, or per member of
    a sweep's stacked [K, ...] tensors, [K, P]."""
    if not members:
        return torch.stack(torch._foreach_norm(tensors)).reshape(1, -1)
    return torch.stack([torch.linalg.vector_norm(tensor.reshape(members, -1), dim=1) for tensor in tensors], dim=1)


Found = tuple[int, str]  # the first non-finite step since the last reading, and the first quantity not finite there


class Tally:
    """The guard's verdicts since the last reading, on the device: per run (or per member of a sweep) the first
    non-finite step and the checked values of that step. `add` queues a few kernels and reads nothing; `read`
    (`read_members`) makes one transfer."""

    def __init__(self, watched: list[tuple[str, Tensor]], members: int = 0) -> None:
        self.watched, self.members = watched, members
        self.names: list[str] = []
        self.pending: tuple[Tensor, Tensor] | None = None  # first step [K] (-1: none), its values [K, M]

    def add(self, stats: dict[str, Tensor], step: int) -> None:
        names, values = verdict(stats, self.watched, self.members)
        if self.pending is None:
            self.names = names
            self.pending = (torch.full((len(values),), -1, dtype=torch.int64, device=values.device), values)
        assert names == self.names, "a run's statistics keep their names from step to step"
        first, kept = self.pending
        new = (first < 0) & ~torch.isfinite(values).all(dim=1)
        self.pending = (torch.where(new, step, first), torch.where(new[:, None], values, kept))

    def read(self) -> Found | None:
        """(step, quantity) of the run's first non-finite step since the last reading, or None; starts anew."""
        return self.read_members()[0] if self.pending is not None else None

    def read_members(self) -> list[Found | None]:
        """`read` for each member of a sweep (one entry for one run; none before the first `add`)."""
        if self.pending is None:
            return []
        first, values = self.pending
        self.pending = None
        rows, count, statistics = len(first), len(self.names), len(self.names) - len(self.watched)
        flat = torch.cat([first.double(), values.double().reshape(-1)]).tolist()  # one transfer
        found: list[Found | None] = []
        for k in range(rows):
            values_k = flat[rows + k * count : rows + (k + 1) * count]
            failed = [i for i, value in enumerate(values_k) if not math.isfinite(value)] if flat[k] >= 0 else []
            index = failed[0] if failed else -1
            if index >= statistics and self._finite(index - statistics, k):
                index = -1  # its norm overflowed float32, its entries are finite: no failure
            found.append(None if index < 0 else (int(flat[k]), describe(self.names[index], values_k[index],
                                                                        index < statistics)))
        return found

    def _finite(self, parameter: int, member: int) -> bool:
        """Whether every entry of a watched parameter (member's row of a sweep's) is finite now."""
        tensor = self.watched[parameter][1]
        return bool(torch.isfinite(tensor[member] if self.members else tensor).all())


def describe(name: str, value: float, statistic: bool) -> str:
    """How the message names a quantity: a statistic with its value, a scale below MIN_SCALE with why, a
    parameter by its label."""
    if not statistic:
        return name
    if _amp(name, "scale"):  # a scale is checked only against MIN_SCALE
        return f"{name} ({BELOW})"
    return f"{name} ({value})"


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


def agree(team: Team, found: Found | None, device: torch.device) -> Found | None:
    """The ranks' common verdict: None when no rank's tally found a problem, else the earliest step any rank found
    and its quantity there (rank 0's first where ranks tie)."""
    if team.world == 1 or team.all_true(found is None, device):
        return found
    everyone: list[Found | None] = team.broadcast(team.gather_to_main(found))
    return min((each for each in everyone if each is not None), key=lambda each: each[0])


def watched(state: TrainState) -> list[tuple[str, Tensor]]:
    """The parameters a `Tally` checks at every step, with their labels: both networks' and the EMA generator's."""
    return [(label, tensor.detach()) for label, tensor in _tensors(state, False, gradients=False)]


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
    folder: Path | None, run: Run, state: TrainState, problem: str, initial: bytes | None, console: TextIO,
    failed_at: int | None = None,
) -> None:
    """After a non-finite step (`failed_at`, by default the state's): stop (train.on_nonfinite = "stop", or no
    rollback left) with a NonFiniteError, or roll back in place to the last finite checkpoint (or the start) with
    both learning rates lowered by train.rollback_factor. Either way a line goes to events.jsonl. In a distributed
    run every rank calls this together: rank 0 (the one with the `folder`) finds the checkpoint and sends it to the
    others."""
    train, team = run.config.train, run.team
    failed_step = state.step if failed_at is None else failed_at
    found = rundir.checkpoints(folder) if folder is not None else []
    latest = team.broadcast(found[-1] if found else None)
    event = {"step": failed_step, "event": "nonfinite", "quantity": problem}
    if train.on_nonfinite == "stop" or state.rollbacks >= train.max_rollbacks:
        if folder is not None:
            rundir.append_jsonl(folder / rundir.EVENTS, event | {"action": "stop"})
        where = f"the last finite checkpoint is {latest}" if latest else "no checkpoint had been written yet"
        advice = (f"after {state.rollbacks} rollbacks (train.max_rollbacks); lower the learning rates further"
                  if train.on_nonfinite == "rollback" else
                  'lower optim.lr_critic and optim.lr_generator, or set train.on_nonfinite = "rollback"')
        raise NonFiniteError(f"training stopped at step {failed_step}: {problem} is not finite; {where}; {advice}")
    scale, count = state.lr_scale * train.rollback_factor, state.rollbacks + 1
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
