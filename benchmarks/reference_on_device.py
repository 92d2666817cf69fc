#!/usr/bin/env python3
"""Run ../shared/bench/reference_wgan_gp_toy.py, unchanged, on another device (a GPU): what speed_toy.py's
`--reference-device cuda` runs.

    python benchmarks/reference_on_device.py --device cuda PATH/reference_wgan_gp_toy.py --iters 200 --warmup 10

The reference has no device option: it builds its networks and draws its tensors without naming a device. This
wrapper changes two things in its own process and then runs the file as its own `__main__` (runpy.run_path, with
sys.argv set to the path and the arguments after it, and the file's folder first on sys.path, as when it is run
directly), so its code, recipe and printed JSON line are the file's:

- torch.set_default_device(device): every tensor and parameter the reference creates without a device goes there.
- torch.Generator() without a device makes a generator on that device. The reference makes one with
  `torch.Generator()` and passes it to torch.randn/randint/randperm, which refuse a CPU generator once those
  calls create their tensors on the GPU. (Replaced by a subclass, so isinstance checks still hold.)

The cost of the first: torch.set_default_device works by a torch function mode, a Python call in front of every
call to the torch API (PyTorch's documentation warns of it), about 1,200 such calls per generator step of the
reference, a few microseconds each: milliseconds a step, which a plain port that moved its networks with
.to(device) would not pay. `--factories` instead wraps only the module-level tensor factories that
set_default_device redirects (torch.empty, zeros, randn, rand, randint, randperm, tensor, arange, ...: the
reference's only tensor-creating calls, a dozen a step, nn.Linear's parameters included) to default to the device,
and leaves every other call as it is. Record which was used; `--factories` is the closer to a plain GPU port.

`--device cpu` changes nothing that matters and runs the reference as it runs alone (a check of this wrapper).
The reference's `--dump` fails on a GPU (it calls .numpy() on the generator's GPU output): time only.

Its clock, on a GPU: the reference never synchronises the GPU before reading time.perf_counter, neither at the
end of its warm-up nor after its last step, and nothing in its training loop's own code waits for the GPU (no
.item(), no copy to the CPU; Adam keeps its step counts on the CPU, where torch 2.13 creates them with an
explicit device="cpu": a torch that created them on the default device would read them back from the GPU every
step). Its time therefore counts the few kernels still queued at the warm-up's end and misses those still queued
after the last step (at most one launch queue, a few generator steps' worth at these sizes). That is why
speed_toy.py times enough steps (its default 200) that those few are a small part of the total.
"""

from __future__ import annotations

import argparse
import functools
import os
import runpy
import sys

import torch

# What torch.set_default_device redirects, where torch.utils._device (private) does not say.
FACTORIES = ("arange", "as_tensor", "asarray", "empty", "empty_strided", "eye", "full", "linspace", "logspace", "ones",
             "rand", "randint", "randn", "randperm", "range", "scalar_tensor", "tensor", "zeros")


def on_device(device: str, factories: bool = False) -> None:
    """Make `device` the default for tensors, parameters and argument-less torch.Generator()s in this process: by
    torch.set_default_device, or (`factories`) by wrapping torch's module-level tensor factories alone."""
    target = torch.device(device)
    if factories:
        for name in _factory_names():
            setattr(torch, name, _defaulting(getattr(torch, name), target))
    else:
        torch.set_default_device(target)
        target = torch.get_default_device()  # cuda -> cuda:<current>

    class Generator(torch.Generator):
        """torch.Generator whose device defaults to `target` instead of the CPU."""

        def __new__(cls, device: str | torch.device | None = None) -> Generator:
            return super().__new__(cls, target if device is None else device)

    torch.Generator = Generator


def _factory_names() -> list[str]:
    try:
        from torch.utils._device import _device_constructors

        names = {function.__name__ for function in _device_constructors()}
    except (ImportError, AttributeError):
        names = set(FACTORIES)
    return sorted(name for name in names if callable(getattr(torch, name, None)))


def _defaulting(factory, device: torch.device):
    @functools.wraps(factory)
    def on(*args, **kwargs):
        if kwargs.get("device") is None:
            kwargs["device"] = device
        return factory(*args, **kwargs)

    return on


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", required=True, help="cuda, cuda:N, or cpu (the wrapper's own check)")
    parser.add_argument("--factories", action="store_true",
                        help="wrap torch's tensor factories instead of torch.set_default_device (no per-call mode)")
    parser.add_argument("reference", help="the reference script's path")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="the reference's own arguments")
    args = parser.parse_args()
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit(f"--device {args.device}: CUDA is not available here")
    path = os.path.abspath(args.reference)
    if not os.path.isfile(path):
        raise SystemExit(f"no reference script at {path}")
    on_device(args.device, args.factories)
    sys.argv = [path, *args.args]
    sys.path.insert(0, os.path.dirname(path))
    runpy.run_path(path, run_name="__main__")


if __name__ == "__main__":
    main()
