"""Start, resume or join a run: the run folder and its lock, and the state every process of a run begins from.

`start` and `resume` build everything before they write anything, so a bad config or checkpoint never leaves
a folder behind; the folder stays locked until `loop.fit` ends. Under torchrun, `begin` lets rank 0 alone do
either and sends its state to the other ranks.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from wganlab import config as configuration
from wganlab import rundir
from wganlab.config import Config
from wganlab.errors import UserError
from wganlab.training import checkpoint, snapshot
from wganlab.training.build import build
from wganlab.training.distributed import SOLO, ReportedElsewhere, Team
from wganlab.training.step import Run, TrainState
from wganlab.training.validation import device_here


def start(config: Config, outdir: Path, team: Team = SOLO) -> tuple[Path, Run, TrainState]:
    """Build everything first, so a bad config never leaves a run folder behind; the new folder is locked
    for this process until `fit` ends."""
    run, state = build(config, team)
    return open_folder(outdir, run), run, state


def open_folder(outdir: Path, run: Run, name: str | None = None) -> Path:
    """A new run folder for a built run under `outdir` (named after its preset and data unless `name` is given),
    locked for this process until `fit` ends, with the run's config written into it."""
    folder = rundir.create(outdir, name or f"{run.config.preset}-{run.config.data.name}")
    hold(folder)
    rundir.write_config(folder, run.config)
    return folder


def load(
    target: Path, steps: int | None = None, team: Team = SOLO, data_root: str | None = None
) -> tuple[Path | None, Run, TrainState]:
    """Rebuild a run's state from a checkpoint: a run folder's latest, or a given checkpoint file (its run
    folder is None when it sits in none); `steps` and `data_root` (where its data is now) change its config."""
    folder, _, payload, config, _ = snapshot.open_checkpoint(target, data_root)
    if not device_here(config.train.device):
        raise UserError(
            f"{target} trained on {config.train.device}, which this machine does not have: resume it on a machine "
            "that has (its random streams live there); sample, evaluate, diagnose and report work here, on the CPU"
        )
    if steps is not None:
        config = configuration.with_values(config, {"train.steps": steps})
    # one line naming --set data.root if it moved, or holds samples of another shape than the run trained on
    dataset = snapshot.training_data(config, snapshot.recorded_shape(payload))
    run, state = build(config, team, dataset)
    checkpoint.restore(state, payload)
    return folder, run, state


def resume(
    target: Path, steps: int | None = None, outdir: Path = Path("runs"), team: Team = SOLO,
    data_root: str | None = None,
) -> tuple[Path, Run, TrainState]:
    """Continue a run from a checkpoint, with the run folder locked: logs written after that checkpoint are cut
    back and temporary files of interrupted writes removed first. A loose checkpoint (in no run folder's
    checkpoints/) continues in a new run folder under `outdir`. `data_root`: where the run's data is now."""
    folder, run, state = load(target, steps, team, data_root)
    if state.step >= run.config.train.steps:
        where = folder or target
        raise UserError(
            f"{where} is already at step {state.step} of {run.config.train.steps}; pass --steps N (N > {state.step}) "
            "to train it further"
        )
    if folder is None:
        folder = rundir.create(outdir, f"{run.config.preset}-{run.config.data.name}")
        hold(folder)
    else:
        hold(folder)
        rundir.remove_temporaries(folder)
        rundir.cut_back(folder, state.step)
    rundir.write_config(folder, run.config)
    return folder, run, state


def begin(
    team: Team, prepare: Callable[[], tuple[Path, Run, TrainState]]
) -> tuple[Path | None, Run, TrainState]:
    """Start or resume on every rank of `team`: rank 0 alone runs `prepare` (`start` or `resume`: it builds the data
    first, writes and locks the run folder); every other rank then builds the same run from rank 0's full state,
    sent to it (so nodes without the run folder or the checkpoint can join), each node's first process before
    the others, so a node decodes an image folder into its cache once. Their folder is None."""
    if team.world == 1:
        return prepare()
    if team.main:
        try:
            folder, run, state = prepare()
        except BaseException as error:
            team.broadcast(("error", str(error)))  # the others stop too, silently: rank 0 says why
            raise
        team.broadcast(("state", checkpoint.encode(state, run.config, run.shape)))
        team.barrier()  # the other nodes' first processes build
        return folder, run, state
    kind, value = team.broadcast(None)
    if kind == "error":
        raise ReportedElsewhere(value)
    payload = checkpoint.decode(value, "rank 0's state")
    if team.local_rank == 0:
        run, state = build(checkpoint.config_of(payload), team)
    team.barrier()
    if team.local_rank != 0:
        run, state = build(checkpoint.config_of(payload), team)  # the data from the cache its node just wrote
    checkpoint.restore(state, payload)
    return None, run, state


_HELD: dict[Path, rundir.RunLock] = {}  # run folders this process has locked, until its `fit` ends


def hold(folder: Path) -> None:
    """Lock `folder` for this process (once; a second writer is refused in one line)."""
    key = folder.resolve()
    if key not in _HELD:
        _HELD[key] = rundir.RunLock(folder)


def release(folder: Path) -> None:
    """Unlock `folder` if this process holds it."""
    lock = _HELD.pop(folder.resolve(), None)
    if lock is not None:
        lock.release()

