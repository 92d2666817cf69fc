"""Generator EMA: the update formula on known tensors, and a frozen, independent copy."""

from __future__ import annotations

import torch
from torch import nn
from torch.testing import assert_close

from wganlab.training.ema import make_ema, update_ema


def _linear(weight: list[list[float]], bias: list[float]) -> nn.Linear:
    layer = nn.Linear(len(weight[0]), len(weight))
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(weight))
        layer.bias.copy_(torch.tensor(bias))
    return layer


def test_update_ema_formula() -> None:
    ema = _linear([[1.0, 2.0], [3.0, 4.0]], [0.0, -1.0])
    model = _linear([[3.0, 0.0], [-1.0, 4.0]], [2.0, 1.0])
    update_ema(ema, model, decay=0.75)
    # 0.75 * ema + 0.25 * model
    assert_close(ema.weight.detach(), torch.tensor([[1.5, 1.5], [2.0, 4.0]]))
    assert_close(ema.bias.detach(), torch.tensor([0.5, -0.5]))
    assert_close(model.weight.detach(), torch.tensor([[3.0, 0.0], [-1.0, 4.0]]))  # the source is untouched


def test_update_ema_decay_limits() -> None:
    ema = _linear([[1.0, 2.0]], [3.0])
    model = _linear([[5.0, -6.0]], [7.0])
    update_ema(ema, model, decay=1.0)
    assert_close(ema.weight.detach(), torch.tensor([[1.0, 2.0]]))
    update_ema(ema, model, decay=0.0)
    assert_close(ema.weight.detach(), torch.tensor([[5.0, -6.0]]))
    assert_close(ema.bias.detach(), torch.tensor([7.0]))


def test_update_ema_copies_buffers() -> None:
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    ema = make_ema(model)
    model.train()
    model(torch.randn(16, 2, generator=torch.Generator().manual_seed(0)))  # moves the running statistics
    assert not torch.equal(ema[1].running_mean, model[1].running_mean)
    update_ema(ema, model, decay=0.9)
    assert torch.equal(ema[1].running_mean, model[1].running_mean)
    assert torch.equal(ema[1].running_var, model[1].running_var)
    assert torch.equal(ema[1].num_batches_tracked, model[1].num_batches_tracked)


def test_make_ema_is_a_frozen_independent_copy() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
    ema = make_ema(model)
    assert ema is not model
    assert not ema.training
    assert all(not p.requires_grad for p in ema.parameters())
    assert all(p.requires_grad for p in model.parameters())  # freezing the copy leaves the source alone
    for e, m in zip(ema.parameters(), model.parameters(), strict=True):
        assert torch.equal(e, m)
        assert e.data_ptr() != m.data_ptr()
    ema_before = [p.clone() for p in ema.parameters()]
    with torch.no_grad():
        for p in model.parameters():
            p.add_(1.0)
    for e, before in zip(ema.parameters(), ema_before, strict=True):
        assert torch.equal(e, before)
