"""Samples from a generator: eval mode, the mode restored, and the same samples however they are chunked."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.testing import assert_close

from wganlab.models import sampling
from wganlab.models.sampling import generate, share_bounds


def _batchnorm_sampler() -> nn.Module:
    """In float64: batches of other sizes may round otherwise in float32 (the kernels' choice, by CPU), and the
    tests below compare batch splits."""
    torch.manual_seed(0)
    sampler = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Tanh())
    with torch.no_grad():
        sampler[1].running_mean.copy_(torch.tensor([0.5, -0.5, 1.0, 0.0]))
        sampler[1].running_var.copy_(torch.tensor([2.0, 0.5, 1.0, 4.0]))
    return sampler.double()


def _reference(sampler: nn.Module, count: int, seed: int) -> torch.Tensor:
    """The same latents through the sampler in eval mode, in one batch."""
    latents = torch.randn(count, 3, generator=torch.Generator().manual_seed(seed))
    was_training = sampler.training
    sampler.eval()
    with torch.no_grad():
        out = sampler(latents.double())
    sampler.train(was_training)
    return out


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.equivalence
def test_generate_samples_in_eval_mode_and_restores_the_mode(training: bool) -> None:
    sampler = _batchnorm_sampler()
    sampler.train(training)
    buffers = {name: value.clone() for name, value in sampler.named_buffers()}
    fake = generate(sampler, 1203, latent_dim=3, seed=4)  # 1203 > BATCH: three chunks
    assert fake.shape == (1203, 4)
    assert sampler.training is training and sampler[1].training is training
    for name, value in sampler.named_buffers():
        assert torch.equal(value, buffers[name]), f"{name} changed: BatchNorm ran in train mode"
    assert_close(fake, _reference(sampler, 1203, seed=4))


@pytest.mark.equivalence
def test_generate_does_not_depend_on_the_batch_split(monkeypatch) -> None:
    sampler = _batchnorm_sampler().train()
    whole = generate(sampler, 1203, latent_dim=3, seed=9)
    monkeypatch.setattr(sampling, "BATCH", 7)
    assert_close(generate(sampler, 1203, latent_dim=3, seed=9), whole)
    assert not torch.equal(generate(sampler, 1203, latent_dim=3, seed=10), whole)


@pytest.mark.parametrize("count", [0, 1, 7, 10, 1203])
@pytest.mark.parametrize("world", [1, 2, 3, 8])
def test_share_bounds_divide_as_tensor_split(count: int, world: int) -> None:
    parts = torch.arange(count).tensor_split(world)
    for rank, part in enumerate(parts):
        start, stop = share_bounds(count, (rank, world))
        assert torch.equal(torch.arange(count)[start:stop], part)
