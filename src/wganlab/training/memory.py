"""Will a config fit in memory? An estimate made before anything large is allocated, so that a width, batch or
sample count a machine cannot hold is one line naming the keys, not an allocator's traceback or the kernel's
out-of-memory killer minutes later.

The networks are first built on PyTorch's meta device (shapes, no storage) to count parameters; when those fit,
they are built for real and run on two samples to count the activations per sample (a forward pass on the meta
device would import PyTorch's meta kernels: seconds on every start). The estimate is a rough lower bound
(weights, gradients, optimiser slots, the EMA copy, activations kept for backward and the penalty's second
backward) and an image evaluation counted as it runs (`image_evaluation`): it refuses only what cannot fit.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor, nn

from wganlab.config import Config
from wganlab.errors import ConfigError
from wganlab.machine import available_memory
from wganlab.metrics.features import EXTRACT_BATCH, EXTRACTORS
from wganlab.metrics.images import KID_SUBSET_SIZE, PROBABILITIES, ROWS
from wganlab.metrics.precision_recall import PR_BLOCK
from wganlab.metrics.summary import needs_of
from wganlab.models.architectures import build_networks
from wganlab.models.conditional import NONE
from wganlab.models.sampling import BATCH
from wganlab.training.evaluation import STORED_CHUNK, choose_extractor, chunk_bytes

FLOAT = 4  # bytes of a float32
_OPTIMIZER_SLOTS = {"adam": 2, "rmsprop": 1, "sgd": 1}  # per-parameter state tensors
_BACKWARD_FACTOR = 2  # activations kept for backward, and again for the gradient penalty's double backward
GB = 2**30


def estimate(config: Config, shape: tuple[int, ...], real_count: int = 0) -> dict[str, int]:
    """Bytes by part: the networks' state, their activations for one step, and one evaluation (`real_count`: the
    real images whose features an image evaluation compares with)."""
    with torch.device("meta"):
        generator, critic = build_networks(config.model, shape)
    slots = _OPTIMIZER_SLOTS.get(config.optim.name, 2)
    generator_params = sum(p.numel() for p in generator.parameters())
    critic_params = sum(p.numel() for p in critic.parameters())
    ema = 1 if config.train.ema_decay > 0 else 0
    state = FLOAT * (generator_params * (2 + slots + ema) + critic_params * (2 + slots))
    batch = max(config.train.batch_size, config.train.generator_batch_size)
    if state > available_memory():
        activations, generator_values = 0, 0.0  # refused on the networks alone; no need to build them
    else:
        generator_values, critic_values = (values / 2 for values in _activation_values(config, shape))
        activations = int(FLOAT * _BACKWARD_FACTOR * (generator_values + critic_values) * batch)
    if len(shape) == 1:  # 2-D data: the exact W1's cost matrix and plan, float64, n x n each
        evaluation = 2 * 8 * config.eval.w1_samples**2 + FLOAT * max(config.eval.samples, config.eval.w1_samples) * 4
    else:
        evaluation = image_evaluation(config, shape, real_count, generator_values)
    return {"networks": state, "activations": activations, "evaluation": evaluation}


def image_evaluation(config: Config, shape: tuple[int, ...], real_count: int, generator_values: float) -> int:
    """Bytes an image evaluation holds at most: one chunk of generated images (as made, through float64 to 8 bits
    and back, and the generator's activations), the extractor's batch, and what the metrics keep (metrics/summary.py):
    every feature row of both sets for KID and precision/recall, the class probabilities for IS and the modes, the
    float64 statistics and FID's matrices, and the distance and kernel blocks."""
    pixels = math.prod(shape)
    chunk = chunk_bytes(pixels) + BATCH * FLOAT * generator_values
    name = choose_extractor(config).name if config.eval.metrics else None
    if name is None:
        return int(chunk)
    sizes = EXTRACTORS[name].sizes(config.eval.extractor_weights or None)
    copies = shape[0] if config.data.stack > 1 else 1  # stacked data: one distribution per channel
    width, needs, n = sizes.features * copies, needs_of(config.eval.metrics), config.eval.image_samples
    real = n if config.data.stack > 1 else real_count
    kept = 0
    if ROWS in needs:
        kept += (n + real) * width * sizes.itemsize
    if PROBABILITIES in needs:
        kept += n * (copies * sizes.classes + sizes.classes**copies) * 8  # and the joint one IS takes (K^copies)
    blocks = 8 * max(4 * PR_BLOCK**2 if "pr" in config.eval.metrics else 0, 3 * KID_SUBSET_SIZE**2)
    statistics = 8 * width**2 * 8  # two sets' sums and covariances, and FID's square root and products
    extractor = sizes.working + EXTRACT_BATCH * pixels * 8  # and its batch of images, in float64 at most
    return int(max(chunk, STORED_CHUNK * pixels * FLOAT) + extractor + kept + blocks + statistics)


def _activation_values(config: Config, shape: tuple[int, ...]) -> tuple[int, int]:
    """How many values the leaf modules output in one generator and one critic pass of two samples, each (real
    networks on the CPU, the global random state left as it was)."""
    counts = {"generator": 0, "critic": 0}

    def recorder(network: str) -> Callable[[nn.Module, object, object], None]:
        def record(module: nn.Module, inputs: object, output: object) -> None:
            if isinstance(output, Tensor):
                counts[network] += output.numel()

        return record

    with torch.random.fork_rng(devices=[]), torch.no_grad():
        generator, critic = build_networks(config.model, shape)
        for network, module in (("generator", generator), ("critic", critic)):
            module.eval()  # BatchNorm in train mode refuses a batch of one; two samples are kept anyway
            for leaf in (m for m in module.modules() if not list(m.children())):
                leaf.register_forward_hook(recorder(network))
        labels = (torch.zeros(2, dtype=torch.long),) if config.model.conditioning != NONE else ()  # class 0
        critic(generator(torch.zeros(2, config.model.latent_dim), *labels), *labels)
    return counts["generator"], counts["critic"]


def check_memory(config: Config, shape: tuple[int, ...], real_count: int = 0) -> None:
    """ConfigError when the estimate exceeds the memory available now (the GPU's free memory for the networks on
    CUDA), naming what to lower."""
    parts = estimate(config, shape, real_count)
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
