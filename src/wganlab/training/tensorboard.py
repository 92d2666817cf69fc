"""Optional TensorBoard event files beside a run's JSONL logs, written only when `tensorboard` is installed.

The JSONL files stay the record every report is built from; the event files are a convenience for people who
watch runs in TensorBoard (`tensorboard --logdir runs`).
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

TENSORBOARD = "tensorboard"  # the event files' folder inside a run folder


class TensorboardWriter(Protocol):
    """What we use of torch.utils.tensorboard.SummaryWriter."""

    def add_scalar(self, tag: str, scalar_value: float, global_step: int | None = None) -> None: ...

    def flush(self) -> None: ...

    def close(self) -> None: ...


def open_writer(folder: Path, purge_step: int | None = None) -> TensorboardWriter | None:
    """A writer to folder/tensorboard, or None when tensorboard is not importable.

    On resume pass the checkpoint's step as `purge_step`: TensorBoard then drops events logged after it.
    """
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        return None
    return SummaryWriter(log_dir=str(folder / TENSORBOARD), purge_step=purge_step)


def write_record(writer: TensorboardWriter, step: int, record: Mapping[str, object]) -> None:
    """Log every real number of `record` under its key (e.g. `critic/loss`); skip the step and non-numbers."""
    for key, value in record.items():
        if key != "step" and is_scalar(value):
            writer.add_scalar(key, float(value), global_step=step)


def is_scalar(value: object) -> bool:
    """Real numbers (nan and inf included, numpy scalars too), not booleans, lists or strings."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)
