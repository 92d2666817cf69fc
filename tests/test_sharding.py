"""sharding's draws: made on the generator's own device, then moved, as CUDA requires."""

from __future__ import annotations

import pytest
import torch

from wganlab import sharding


@pytest.fixture
def strict_devices(monkeypatch: pytest.MonkeyPatch) -> None:
    """torch.rand/randn/randint refuse a generator on another device than the tensor's, as CUDA does ("Expected a
    'cuda' device type for generator but found 'cpu'"): on a CPU-only machine, "meta" plays the GPU."""
    for name in ("rand", "randn", "randint"):
        draw = getattr(torch, name)

        def strict(*args, draw=draw, **kwargs):
            device, generator = kwargs.get("device"), kwargs.get("generator")
            if device is not None and generator is not None and torch.device(device) != generator.device:
                raise RuntimeError(f"Expected a {torch.device(device).type!r} device type for generator")
            return draw(*args, **kwargs)

        monkeypatch.setattr(torch, name, strict)


def test_a_cpu_stream_draws_for_another_device_and_the_values_are_the_cpus(strict_devices: None) -> None:
    for draw in (lambda g, device: sharding.rand((4, 3), g, device, torch.float32),
                 lambda g, device: sharding.randn((4, 3), g, device, torch.float32),
                 lambda g, device: sharding.randint(10, (4,), g, device)):
        away = draw(torch.Generator().manual_seed(3), "meta")
        here = draw(torch.Generator().manual_seed(3), "cpu")
        assert away.device.type == "meta" and away.shape == here.shape and away.dtype == here.dtype
        assert torch.equal(here, draw(torch.Generator().manual_seed(3), torch.device("cpu")))
