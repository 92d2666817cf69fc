"""Count, on the CPU, the operations that make a CUDA host wait for its GPU.

A `TorchDispatchMode` sees every ATen operation a Python call reaches. On a GPU these wait for the device to
finish what was queued before them (the host cannot go on until it has the value, or the copy is done):

- `_local_scalar_dense`: `.item()`, `float(t)`, `int(t)`, `bool(t)`, `if t:`, a tensor in a Python condition;
- `nonzero`, boolean-mask indexing (`x[mask]`, `masked_select`), `equal`, `is_nonzero`: the result's size or
  value is read back;
- a copy between devices without `non_blocking` (`.to(other device)`, `.cpu()`, `copy_` across devices);
- `lift_fresh`: a tensor made from host values (`torch.tensor(x, device=...)`), a blocking copy from pageable
  memory on a GPU.

On the CPU the same operations run without waiting, so this mode finds what a GPU run would wait on without a
GPU. Not seen here: `tolist()` and `.numpy()` of a CPU tensor (no ATen call), and a copy to the same device
(none). Left out by design: the scalars PyTorch's own optimisers keep on the host (a non-capturable optimiser's
step counts: plain CPU work on a GPU machine), recognised by their call site in torch/optim.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode

aten = torch.ops.aten
READS = {aten._local_scalar_dense.default, aten.nonzero.default, aten.masked_select.default,
         aten.equal.default, aten.is_nonzero.default, aten.lift_fresh.default}
INDEXING = {aten.index.Tensor, aten.index_put.default, aten.index_put_.default}
COPIES = {aten._to_copy.default, aten.copy_.default}


def _device_of(value: Any) -> torch.device | None:
    return value.device if isinstance(value, torch.Tensor) else None


def waits(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """Whether the operation makes a CUDA host wait (see the module's list)."""
    if func in READS:
        return True
    if func in INDEXING:
        indices = args[1] if len(args) > 1 else ()
        return any(isinstance(i, torch.Tensor) and i.dtype == torch.bool for i in indices if i is not None)
    if func == aten._to_copy.default:
        target = kwargs.get("device")
        return target is not None and torch.device(target) != args[0].device and not kwargs.get("non_blocking")
    if func == aten.copy_.default:
        return _device_of(args[0]) != _device_of(args[1]) and not (len(args) > 2 and args[2])
    return False


def _where() -> str:
    """The innermost frames of wganlab and torch that led here, for the failure's message."""
    frames = [f for f in traceback.extract_stack()[:-3] if not any(part in f.filename for part in MACHINERY)]
    return " <- ".join(f"{f.filename.rsplit('/', 2)[-1]}:{f.lineno} {f.name}" for f in reversed(frames[-6:]))


MACHINERY = ("_python_dispatch", "/torch/_ops.py", "/torch/utils/", "/torch/_dynamo/", "/torch/_compile.py")


def _optimiser_internal() -> bool:
    """Whether the innermost frame outside the dispatch machinery is PyTorch's optimisers' own (host step counts)."""
    for frame in reversed(traceback.extract_stack()[:-3]):
        name = frame.filename.replace("\\", "/")
        if not any(part in name for part in MACHINERY):
            return "/torch/optim/" in name
    return False


@dataclass
class Sync:
    op: str
    moment: str  # what the test said was running when it happened
    where: str


class SyncCounter(TorchDispatchMode):
    """Records every waiting operation with the moment the test set (`moment`)."""

    def __init__(self) -> None:
        super().__init__()
        self.moment = "setup"
        self.seen: list[Sync] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        kwargs = kwargs or {}
        if waits(func, args, kwargs) and not _optimiser_internal():
            self.seen.append(Sync(str(func), self.moment, _where()))
        return func(*args, **kwargs)
