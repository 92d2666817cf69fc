"""What this machine is, can hold and can do: its CPU's model (named beside every time), memory available now (for
checks made before allocating, not after failing), and whether its CPU computes in bfloat16."""

from __future__ import annotations

import os
import platform
from pathlib import Path

import torch


def cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str | None:
    """The CPU's model name (e.g. "AMD EPYC 7B13") from Linux's cpuinfo, None where there is none."""
    try:
        lines = cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    return next((line.split(":", 1)[1].strip() or None for line in lines if line.startswith("model name")), None)


def available_memory() -> int:
    """Bytes of memory available to a new allocation now (Linux's MemAvailable; elsewhere the free pages)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 2**62  # unknown: do not refuse on a guess


def cpu_has_bfloat16_units() -> bool | None:
    """Whether this CPU computes in bfloat16 natively (x86: AVX512-BF16 or AMX), None where that cannot be told
    (another architecture, or a PyTorch without the check). Without them PyTorch emulates bfloat16 in float32,
    with conversions around every product: measured 32x slower than float32 on an AMD EPYC without either
    (docs/benchmarks.md)."""
    if platform.machine().lower() not in ("x86_64", "amd64", "i386", "i686"):
        return None
    checks = [getattr(torch.cpu, name, None) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported")]
    if not all(callable(check) for check in checks):
        return None
    return any(check() for check in checks)
