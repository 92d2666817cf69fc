"""Where the data and the networks live and in which layout (issue 40): batches gathered where the pixels are kept,
constants copied to a device once, channels_last and the GPU settings on CUDA only, and a checkpoint's optimiser
moments brought to their parameters' layout when it is restored."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from wganlab import config as configuration
from wganlab.data.datasets import build_dataset, placed
from wganlab.data.images import load_images
from wganlab.data.toy import OnDevices
from wganlab.training import checkpoint
from wganlab.training.build import build, memory_format, tune_device
from wganlab.training.step import train_step

DIGITS = ["model.width=8", "model.latent_dim=8", "train.batch_size=8", "train.critic_iters=1"]


def test_a_batch_is_the_rows_of_the_stored_pixels_and_their_labels() -> None:
    data = load_images("digits")
    rows = torch.tensor([5, 0, 5, 1436])
    assert torch.equal(data.rows(rows, "cpu"), data.images[rows])
    assert torch.equal(data.labels_at(rows), data.labels[rows])
    eight_bit = dataclasses.replace(data, pixels=((data.pixels + 1) * 127.5).round().to(torch.uint8))
    assert torch.equal(eight_bit.rows(rows, "cpu"), eight_bit.images[rows])  # uint8 converted after the gather
    assert data.placed("cpu") is data  # the CPU gathers where the pixels are stored: nothing is copied
    kept = dataclasses.replace(eight_bit, resident=(eight_bit.pixels.clone(), eight_bit.labels.clone()))
    assert torch.equal(kept.rows(rows, "cpu"), eight_bit.images[rows])  # a GPU's kept copy, gathered where it is
    assert torch.equal(kept.labels_at(rows), data.labels[rows])
    assert kept.first(3).resident is None  # a copy of a few images keeps nothing on a device


def test_a_stacked_batch_and_its_labels_come_from_the_same_rows() -> None:
    config = configuration.load(preset="digits")
    data = placed(build_dataset(config.data, 0), "cpu")
    images, labels = data.sample_with_labels(6, torch.Generator().manual_seed(3))
    again = data.sample(6, torch.Generator().manual_seed(3))
    assert torch.equal(images, again) and labels.shape == (6, 3)
    base = data.base
    for image, triple in zip(images, labels, strict=True):
        for channel, label in zip(image, triple, strict=True):  # each channel is a digit of its labelled class
            rows = torch.nonzero(base.labels == label).flatten()
            assert any(torch.equal(channel, base.images[row, 0]) for row in rows)


def test_a_toy_constant_is_copied_to_a_device_once() -> None:
    centres = torch.arange(6.0).reshape(3, 2)
    table = OnDevices(centres)
    assert table.on(torch.device("cpu")) is centres
    meta = table.on(torch.device("meta"))
    assert meta.device.type == "meta" and table.on(torch.device("meta")) is meta


def test_channels_last_and_the_gpu_settings_are_for_images_on_cuda_only(monkeypatch) -> None:
    assert memory_format(torch.device("cuda"), (3, 32, 32)) == torch.channels_last
    assert memory_format(torch.device("cuda"), (2,)) == torch.contiguous_format
    assert memory_format(torch.device("cpu"), (3, 32, 32)) == torch.contiguous_format
    before = (torch.backends.cudnn.benchmark, torch.get_float32_matmul_precision(), torch.backends.cudnn.allow_tf32)
    tune_device(configuration.load(overrides=["train.device=cpu", "train.matmul_precision=high"]).train)
    assert (torch.backends.cudnn.benchmark, torch.get_float32_matmul_precision(),
            torch.backends.cudnn.allow_tf32) == before  # nothing set on the CPU
    monkeypatch.setattr(torch.backends.cudnn, "benchmark", False)
    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", True)
    try:
        tune_device(dataclasses.replace(configuration.load().train, device="cuda", matmul_precision="highest"))
        assert torch.backends.cudnn.benchmark and not torch.backends.cudnn.allow_tf32
        assert torch.get_float32_matmul_precision() == "highest"
        tune_device(dataclasses.replace(configuration.load().train, device="cuda", matmul_precision="high"))
        assert torch.backends.cudnn.allow_tf32 and torch.get_float32_matmul_precision() == "high"
    finally:
        torch.set_float32_matmul_precision(before[1])


def test_an_unknown_matmul_precision_is_refused() -> None:
    with pytest.raises(Exception, match='train.matmul_precision must be "highest" or "high"'):
        configuration.load(overrides=["train.matmul_precision=medium"])


def test_restored_moments_take_their_parameters_layout() -> None:
    """A checkpoint written with contiguous networks, restored into channels_last ones (a GPU run's, made here on
    the CPU): every moment of a 4-D parameter takes its parameter's strides, with the same values."""
    config = configuration.load(preset="digits", overrides=DIGITS)
    run, state = build(config)
    train_step(run, state)
    payload = checkpoint.decode(checkpoint.encode(state, run.config, run.shape), "the test's checkpoint")
    _, fresh = build(config)
    fresh.critic.to(memory_format=torch.channels_last)
    checkpoint.restore(fresh, payload)
    kernels = [p for p in fresh.critic.parameters() if p.dim() == 4]
    assert kernels and all(not p.is_contiguous() for p in kernels)
    for parameter in kernels:
        moments = fresh.critic_optimizer.state[parameter]
        assert moments["exp_avg"].stride() == parameter.stride() == moments["exp_avg_sq"].stride()
    for before, after in zip(state.critic_optimizer.state.values(), fresh.critic_optimizer.state.values(), strict=True):
        assert torch.equal(before["exp_avg"], after["exp_avg"]) and torch.equal(before["exp_avg_sq"],
                                                                                 after["exp_avg_sq"])
