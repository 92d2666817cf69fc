"""Will a config fit in memory? An estimate made before anything large is allocated, so that a width, batch or
sample count a machine cannot hold is one line naming the keys, not an allocator's traceback or the kernel's
out-of-memory killer minutes later.

The networks are first built on PyTorch's meta device (shapes, no storage) to count parameters; when those fit,
they are built for real and run on two samples to count the activations per sample (a forward pass on the meta
device would import PyTorch's meta kernels: seconds on every start). The estimate is a rough lower bound
(weights, gradients, optimiser slots, the EMA copy, activations kept for backward and the penalty's second
backward, the evaluation's buffers): it refuses only what cannot fit.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from wganlab.config import Config
from wganlab.errors import ConfigError
from wganlab.machine import available_memory
from wganlab.models.architectures import build_networks

FLOAT = 4  # bytes of a float32
_OPTIMIZER_SLOTS = {"adam": 2, "rmsprop": 1, "sgd": 1}  # per-parameter state tensors
_BACKWARD_FACTOR = 2  # activations kept for backward, and again for the gradient penalty's double backward
GB = 2**30


def estimate(config: Config, shape: tuple[int, ...]) -> dict[str, int]:
    """Bytes by part: the networks' state, their activations for one step, and one evaluation."""
    with torch.device("meta"):
        generator, critic = build_networks(config.model, shape)
    slots = _OPTIMIZER_SLOTS.get(config.optim.name, 2)
    generator_params = sum(p.numel() for p in generator.parameters())
    critic_params = sum(p.numel() for p in critic.parameters())
    ema = 1 if config.train.ema_decay > 0 else 0
    state = FLOAT * (generator_params * (2 + slots + ema) + critic_params * (2 + slots))
    batch = max(config.train.batch_size, config.train.generator_batch_size)
    if state > available_memory():
        activations = 0  # refused on the networks alone; no need to build them
    else:
        per_sample = _activation_values(config, shape) / 2
        activations = int(FLOAT * _BACKWARD_FACTOR * per_sample * batch)
    if len(shape) == 1:  # 2-D data: the exact W1's cost matrix and plan, float64, n x n each
        evaluation = 2 * 8 * config.eval.w1_samples**2 + FLOAT * max(config.eval.samples, config.eval.w1_samples) * 4
    else:  # generated images as float and as 8-bit, and their features
        evaluation = config.eval.image_samples * (math.prod(shape) * (2 * FLOAT + 1) + 2048 * 8)
    return {"networks": state, "activations": activations, "evaluation": evaluation}


def _activation_values(config: Config, shape: tuple[int, ...]) -> int:
    """How many values the leaf modules output in one generator and one critic pass of two samples (real
    networks on the CPU, the global random state left as it was)."""
    count = [0]

    def record(module: nn.Module, inputs: object, output: object) -> None:
        if isinstance(output, Tensor):
            count[0] += output.numel()

    with torch.random.fork_rng(devices=[]), torch.no_grad():
        generator, critic = build_networks(config.model, shape)
        generator.eval()  # BatchNorm in train mode refuses a batch of one; two samples are kept anyway
        critic.eval()
        leaves = [m for m in (*generator.modules(), *critic.modules()) if not list(m.children())]
        for leaf in leaves:
            leaf.register_forward_hook(record)
        critic(generator(torch.zeros(2, config.model.latent_dim)))
    return count[0]


def check_memory(config: Config, shape: tuple[int, ...]) -> None:
    """ConfigError when the estimate exceeds the memory available now (the GPU's free memory for the networks on
    CUDA), naming what to lower."""
    parts = estimate(config, shape)
    on_device = parts["networks"] + parts["activations"]
    if config.train.device.startswith("cuda") and torch.cuda.is_available():
        free, _ = torch.cuda.mem_get_info(torch.device(config.train.device))
        host_need, device_need = parts["evaluation"], on_device
        _refuse_if(device_need > free, device_need, free, f"on {config.train.device}", parts)
    else:
        host_need = sum(parts.values())
    have = available_memory()
    _refuse_if(host_need > have, host_need, have, "in memory", parts)


def _refuse_if(too_much: bool, need: int, have: int, where: str, parts: dict[str, int]) -> None:
    if too_much:
        detail = ", ".join(f"{name} {size / GB:.1f} GB" for name, size in parts.items())
        raise ConfigError(
            f"this config needs about {need / GB:.1f} GB {where} ({detail}), more than the {have / GB:.1f} GB "
            "available: lower model.width, train.batch_size, eval.w1_samples or eval.image_samples"
        )
