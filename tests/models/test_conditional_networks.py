"""The conditional networks model.conditioning builds: each takes its labels where they matter."""

from __future__ import annotations

import pytest
import torch

from wganlab.config import ModelConfig
from wganlab.models.architectures import build_networks
from wganlab.models.conditional import CONDITIONINGS, classes_of

K, SHAPE = 5, (1, 8, 8)
VARIANTS = [(arch, name) for name, entry in CONDITIONINGS.items() if name != "none" for arch in entry.architectures]


def _networks(arch: str, conditioning: str, generator_norm: str = "batch") -> tuple[torch.nn.Module, torch.nn.Module]:
    torch.manual_seed(0)
    config = ModelConfig(arch=arch, latent_dim=6, width=8, depth=2, generator_norm=generator_norm,
                         conditioning=conditioning, classes=K)
    return build_networks(config, SHAPE)


@pytest.mark.parametrize("generator_norm", ["batch", "none"])
@pytest.mark.parametrize("arch, conditioning", VARIANTS)
def test_each_variant_reads_the_labels(arch: str, conditioning: str, generator_norm: str) -> None:
    generator, critic = _networks(arch, conditioning, generator_norm)
    generator.eval()
    assert classes_of(generator) == classes_of(critic) == K
    z = torch.randn(4, 6, generator=torch.Generator().manual_seed(1))
    y, other = torch.tensor([0, 1, 2, 3]), torch.tensor([4, 4, 4, 4])
    with torch.no_grad():
        for parameter in generator.parameters():  # away from the initial gains 1 and biases 0, which are the same
            parameter.add_(0.1 * torch.randn(parameter.shape, generator=torch.Generator().manual_seed(2)))
        for parameter in critic.parameters():
            parameter.add_(0.1 * torch.randn(parameter.shape, generator=torch.Generator().manual_seed(3)))
        images = generator(z, y)
        assert images.shape == (4, *SHAPE) and not torch.equal(images, generator(z, other))
        out = critic(images, y)
        if CONDITIONINGS[conditioning].auxiliary_classifier:  # [score, K logits]; the score does not read y
            assert out.shape == (4, 1 + K) and torch.equal(out, critic(images, other))
        else:
            assert out.shape == (4, 1) and not torch.equal(out, critic(images, other))


def test_spectral_norm_also_normalises_the_projection_critics_class_embedding() -> None:
    from torch.nn.utils import parametrize

    from wganlab.objectives.constraints import apply_spectral_norm

    _, critic = _networks("dcgan", "projection")
    apply_spectral_norm(critic)
    embed = critic.head.embed
    assert parametrize.is_parametrized(embed, "weight")
    original = embed.parametrizations.weight.original.detach()
    assert torch.allclose(embed.weight.detach() * torch.linalg.matrix_norm(original, ord=2), original, rtol=0.1)
