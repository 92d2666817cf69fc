"""The WGAN-GP CIFAR-10 ResNet (Gulrajani et al. 2017, gan_cifar_resnet.py): pre-activation residual
blocks, 128 channels, BatchNorm in the generator, no normalisation in the critic by default.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from wganlab.models.conditional import apply, generator_norm, run
from wganlab.models.norms import norm_layer
from wganlab.models.shapes import resolution_steps


class UpBlock(nn.Module):
    """norm-ReLU-upsample-conv-norm-ReLU-conv, plus an upsampled 1x1 shortcut."""

    def __init__(self, channels: int, norm: str, classes: int = 0):
        super().__init__()
        self.norm1, self.norm2 = generator_norm(norm, channels, classes), generator_norm(norm, channels, classes)
        self.conv1, self.conv2 = nn.Conv2d(channels, channels, 3, 1, 1), nn.Conv2d(channels, channels, 3, 1, 1)
        self.shortcut = nn.Conv2d(channels, channels, 1)

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        h = F.interpolate(F.relu(apply(self.norm1, x, y)), scale_factor=2)
        h = self.conv2(F.relu(apply(self.norm2, self.conv1(h), y)))
        return h + self.shortcut(F.interpolate(x, scale_factor=2))


class DownBlock(nn.Module):
    """ReLU-conv-ReLU-conv-meanpool, plus a meanpooled 1x1 shortcut; `first` skips the leading ReLU."""

    def __init__(self, c_in: int, c_out: int, norm: str, down: bool, first: bool = False):
        super().__init__()
        self.first, self.down = first, down
        self.norm1, self.norm2 = norm_layer(norm, c_in) if not first else nn.Identity(), norm_layer(norm, c_out)
        self.conv1, self.conv2 = nn.Conv2d(c_in, c_out, 3, 1, 1), nn.Conv2d(c_out, c_out, 3, 1, 1)
        self.shortcut = nn.Conv2d(c_in, c_out, 1) if (c_in != c_out or down) else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        h = x if self.first else F.relu(self.norm1(x))
        h = self.conv2(F.relu(self.norm2(self.conv1(h))))
        skip = self.shortcut(x)
        if self.down:
            h, skip = F.avg_pool2d(h, 2), F.avg_pool2d(skip, 2)
        return h + skip


class ResNetGenerator(nn.Module):
    def __init__(
        self, latent_dim: int, shape: tuple[int, int, int], width: int = 128, norm: str = "batch", classes: int = 0
    ):
        super().__init__()
        self.classes = classes  # > 0: conditional BatchNorm, forward(z, y)
        channels, size, _ = shape
        self.base, steps = resolution_steps(size)
        self.width = width
        self.project = nn.Linear(latent_dim, width * self.base * self.base)
        self.blocks = nn.Sequential(*[UpBlock(width, norm, classes) for _ in range(steps)])
        self.out = nn.Sequential(
            generator_norm(norm, width, classes), nn.ReLU(), nn.Conv2d(width, channels, 3, 1, 1), nn.Tanh()
        )

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:  # [N, latent], [N] -> [N, C, H, W]
        h = self.project(z).view(-1, self.width, self.base, self.base)
        for block in self.blocks:
            h = block(h, y)
        return run(self.out, h, y)


class ResNetCritic(nn.Module):
    def __init__(self, shape: tuple[int, int, int], width: int = 128, norm: str = "none"):
        super().__init__()
        channels, size, _ = shape
        _, steps = resolution_steps(size)
        blocks = [DownBlock(channels, width, "none", down=True, first=True)]
        # 32x32: 32 -> 16 -> 8, then two blocks at 8x8, as in gan_cifar_resnet.py
        blocks += [DownBlock(width, width, norm, down=True) for _ in range(max(0, steps - 2))]
        blocks += [DownBlock(width, width, norm, down=False) for _ in range(2)]
        self.blocks = nn.Sequential(*blocks)
        self.score = nn.Linear(width, 1)

    def forward(self, x: Tensor) -> Tensor:  # [N, C, H, W] -> [N, 1]
        return self.score(self.features(x))

    def features(self, x: Tensor) -> Tensor:  # [N, C, H, W] -> [N, width]: the pooled features the score reads
        return F.relu(self.blocks(x)).mean(dim=(2, 3))
