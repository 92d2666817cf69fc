"""Training on several processes with torch.distributed, launched by torchrun: the team of ranks and what they
share.

Gradients are averaged by one explicit all-reduce of every parameter's gradient, flattened into one buffer,
after the backward pass and before the optimiser step (as stylegan2-ada does), not by DistributedDataParallel.
A gradient penalty differentiates the critic's input gradient (`autograd.grad(..., create_graph=True)`), and
DDP's reducer hooks neither see nor average that double backward correctly (pytorch issues 47562, 63812,
63929); an all-reduce after the ordinary `backward()` of the whole loss averages exactly the gradients one
process would have, penalty terms included, for any graph, with the critic frozen in the generator's step, and
before the constraint's hooks (gradient clipping) see them. It costs one message per update instead of
overlapping buckets with the backward pass, which for GAN networks of a few million parameters is small.

Every rank holds the same parameters, optimiser moments, EMA, spectral-norm vectors and random streams: they
start from rank 0's state (broadcast) and apply the same averaged update. BatchNorm statistics are per rank
unless train.sync_batchnorm is on (`SyncedBatchNorm` below, on the CPU and on GPUs).
"""

from __future__ import annotations

import datetime
import os
import signal
import sys
from dataclasses import dataclass
from types import FrameType
from typing import Any, NoReturn

import torch
import torch.distributed as dist
from torch import Tensor, nn

from wganlab import sharding
from wganlab.errors import CollectiveError, UserError
from wganlab.sharding import Shard

# How long a rank waits for the others in one collective before the job fails: long enough for rank 0 to
# decode a large image folder or run a 50k-sample FID while the others wait; $WGANLAB_DIST_TIMEOUT overrides.
DEFAULT_TIMEOUT_S = 1800


class RankStopped(UserError):
    """This rank was told to stop (SIGTERM from torchrun when another rank failed) or lost its peers."""


class ReportedElsewhere(CollectiveError):
    """A failure rank 0 has already reported in one line: the other ranks exit with its code, silently."""


@dataclass(frozen=True)
class Team:
    """The processes of one run; the default is one process alone, for which every method does nothing."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        """Rank 0: the one that writes the run folder, evaluates and checkpoints."""
        return self.rank == 0

    @property
    def shard(self) -> Shard:
        return Shard(self.rank, self.world)

    def average_gradients(self, module: nn.Module) -> None:
        """Every parameter gradient of `module` replaced by its mean over the ranks (one flattened all-reduce)."""
        if self.world == 1:
            return
        grads = [p.grad for p in module.parameters() if p.grad is not None]
        if not grads:
            return
        flat = torch.cat([g.reshape(-1) for g in grads])
        dist.all_reduce(flat)
        flat /= self.world
        offset = 0
        for grad in grads:
            grad.copy_(flat[offset : offset + grad.numel()].view_as(grad))
            offset += grad.numel()

    def all_true(self, flag: bool, device: torch.device) -> bool:
        """True when `flag` holds on every rank (one all-reduce of one number)."""
        if self.world == 1:
            return flag
        value = torch.tensor([1.0 if flag else 0.0], device=device)
        dist.all_reduce(value, op=dist.ReduceOp.MIN)
        return bool(value.item() == 1.0)

    def mean_stats(self, stats: dict[str, Tensor]) -> dict[str, Tensor]:
        """Each statistic averaged over the ranks: the global batch's value (the shards are equal in size)."""
        if self.world == 1 or not stats:
            return stats
        keys = sorted(stats)
        values = torch.stack([stats[key].detach().float().reshape(()) for key in keys])
        dist.all_reduce(values)
        values /= self.world
        return dict(zip(keys, values.unbind(), strict=True))

    def broadcast(self, value: Any) -> Any:
        """Rank 0's `value` on every rank (any picklable object)."""
        if self.world == 1:
            return value
        box = [value]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def gather_to_main(self, value: Any) -> list[Any] | None:
        """Every rank's `value` (any picklable object) in rank order on rank 0; None on the others."""
        if self.world == 1:
            return [value]
        parts: list[Any] | None = [None] * self.world if self.main else None
        dist.gather_object(value, parts, dst=0)
        return parts

    def barrier(self) -> None:
        if self.world > 1:
            dist.barrier()


SOLO = Team()


def launched() -> bool:
    """True inside a process that torchrun started with more than one process in the job."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def join() -> Team:
    """Join the job torchrun started, or SOLO outside torchrun: gloo for CPU tensors, and NCCL for CUDA tensors
    where there are GPUs (each rank on GPU LOCAL_RANK, which "cuda" then means). A SIGTERM (torchrun stopping the
    job because another rank failed) becomes a RankStopped with one line."""
    if not launched():
        return SOLO
    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if gpus:
        if local_rank >= gpus:
            raise UserError(f"rank {rank} is process {local_rank} on a node with {gpus} GPUs: start at most one "
                            "process per GPU (--nproc_per_node)")
        torch.cuda.set_device(local_rank)
    text = os.environ.get("WGANLAB_DIST_TIMEOUT", str(DEFAULT_TIMEOUT_S))
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise UserError(f"WGANLAB_DIST_TIMEOUT={text!r} is not a number of seconds > 0: unset it or give one")
    if not dist.is_initialized():
        backend = "cpu:gloo,cuda:nccl" if gpus else "gloo"
        dist.init_process_group(backend, timeout=datetime.timedelta(seconds=seconds))
    signal.signal(signal.SIGTERM, _stopped)
    return Team(rank=rank, world=world, local_rank=local_rank)


def leave(team: Team, finished: bool) -> None:
    """Leave the job. A rank that finished waits at a barrier for the others first: torch requires every rank to
    destroy the group after the last collective, and a rank that tears gloo down while rank 0 is still writing
    (its evaluation, the summary) can abort. A rank leaving on an error does not wait."""
    if team.world > 1:
        if finished and dist.is_initialized():
            dist.barrier()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if dist.is_initialized():
            dist.destroy_process_group()


def end_process(code: int) -> NoReturn:
    """End this process of a torchrun job with `code`, its output flushed, without the interpreter's teardown:
    there gloo's threads, left behind by `destroy_process_group`, can outlive what they use and abort the process
    ("terminate called without an active exception", SIGABRT) after a job that finished, which torchrun then
    reports as failed (rank 1 of 1 job in 12 on an AMD EPYC with torch 2.13; faulthandler shows no Python frame
    left). Call it after `leave`, once everything is written: files are closed by then, and torchrun needs only
    the exit code."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _stopped(signum: int, frame: FrameType | None) -> None:
    raise RankStopped("stopped by the launcher because another rank failed or the job was stopped")


def lost_peers(error: BaseException) -> bool:
    """True for the error a collective raises when another rank died or the job timed out."""
    backend_error = getattr(dist, "DistBackendError", ())
    text = str(error).lower()
    return isinstance(error, backend_error) or any(
        mark in text for mark in ("connection closed", "connection reset", "broken pipe", "gloo", "nccl", "timed out")
    )


class SyncedBatchNorm(nn.modules.batchnorm._BatchNorm):
    """BatchNorm whose training statistics are those of the global batch: the per-channel count, sum and sum of
    squared deviations all-reduced across the ranks with autograd-aware collectives, so the backward pass
    carries every rank's share too. It synchronises only inside a training step's `sharding.sharded` block;
    rank 0's evaluation (alone) and eval mode are plain BatchNorm. torch's nn.SyncBatchNorm is not used: it
    refuses CPU tensors, and it synchronises in every training-mode forward, which would hang rank 0's solo
    evaluation of a generator sampled in training mode."""

    def forward(self, input: Tensor) -> Tensor:
        if not (self.training and sharding.current().world > 1):
            return super().forward(input)
        from torch.distributed.nn.functional import all_reduce

        dims = [0] + list(range(2, input.dim()))  # all but the channel dimension
        shape = [1, -1] + [1] * (input.dim() - 2)
        count = torch.full((), float(input.numel() // input.shape[1]), device=input.device)  # no host copy
        totals = all_reduce(torch.cat([input.sum(dims), count.reshape(1)]))
        total_count = totals[-1]
        mean = totals[:-1] / total_count  # [C]
        centred = input - mean.reshape(shape)
        var = all_reduce(centred.pow(2).sum(dims)) / total_count  # [C], biased, as BatchNorm normalises
        if self.track_running_stats and self.running_mean is not None and self.running_var is not None:
            with torch.no_grad():
                self.num_batches_tracked.add_(1)  # type: ignore[union-attr]
                momentum = self.momentum if self.momentum is not None else 1.0 / float(self.num_batches_tracked)
                unbiased = var * total_count / (total_count - 1).clamp_min(1)
                self.running_mean.mul_(1 - momentum).add_(momentum * mean)
                self.running_var.mul_(1 - momentum).add_(momentum * unbiased)
        normalised = centred * torch.rsqrt(var + self.eps).reshape(shape)
        if self.affine:
            normalised = normalised * self.weight.reshape(shape) + self.bias.reshape(shape)
        return normalised

    def _check_input_dim(self, input: Tensor) -> None:
        if input.dim() < 2:
            raise ValueError(f"expected at least 2-D input, got {input.dim()}-D")


def synchronise_batchnorm(module: nn.Module) -> nn.Module:
    """`module` with every BatchNorm layer replaced by a SyncedBatchNorm holding the same weights and buffers (the
    state_dict keys do not change, so checkpoints are interchangeable)."""
    if isinstance(module, nn.modules.batchnorm._BatchNorm) and not isinstance(module, SyncedBatchNorm):
        synced = SyncedBatchNorm(module.num_features, module.eps, module.momentum, module.affine,
                                 module.track_running_stats)
        synced.load_state_dict(module.state_dict())
        buffers = list(module.state_dict().values())
        return synced.to(buffers[0].device) if buffers else synced
    for name, child in module.named_children():
        module.add_module(name, synchronise_batchnorm(child))
    return module

