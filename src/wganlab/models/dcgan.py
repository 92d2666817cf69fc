"""DCGAN-style convolutional generator and critic, sized from the image shape (Radford et al. 2016).

The generator doubles the resolution with 4x4 stride-2 transposed convolutions from a small base grid
(4x4 for 8, 32 and 64 pixels, 7x7 for 28); the critic mirrors it with stride-2 convolutions and LeakyReLU
0.2, as in the WGAN-GP MNIST code. Plain modules: they know nothing of losses.
"""

from __future__ import annotations

from torch import Tensor, nn

from wganlab.models.conditional import generator_norm, run
from wganlab.models.norms import norm_layer
from wganlab.models.shapes import resolution_steps


class DCGANGenerator(nn.Module):
    def __init__(
        self, latent_dim: int, shape: tuple[int, int, int], width: int = 64, norm: str = "batch", classes: int = 0
    ):
        super().__init__()
        self.classes = classes  # > 0: conditional BatchNorm, forward(z, y)
        channels, size, _ = shape
        base, steps = resolution_steps(size)
        top = width * 2**steps
        self.project = nn.Sequential(nn.Linear(latent_dim, top * base * base), nn.ReLU())
        self.base, self.top = base, top
        layers: list[nn.Module] = []
        for step in range(steps):
            c_in, c_out = top // 2**step, top // 2 ** (step + 1)
            layers += [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1), generator_norm(norm, c_out, classes), nn.ReLU()]
        layers += [nn.Conv2d(width, channels, 3, 1, 1), nn.Tanh()]
        self.body = nn.Sequential(*layers)

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:  # [N, latent], [N] -> [N, C, H, W] in [-1, 1]
        return run(self.body, self.project(z).view(-1, self.top, self.base, self.base), y)


class DCGANCritic(nn.Module):
    def __init__(self, shape: tuple[int, int, int], width: int = 64, norm: str = "none"):
        super().__init__()
        channels, size, _ = shape
        base, steps = resolution_steps(size)
        layers: list[nn.Module] = [nn.Conv2d(channels, width, 3, 1, 1), nn.LeakyReLU(0.2)]
        for step in range(steps):
            c_in, c_out = width * 2**step, width * 2 ** (step + 1)
            layers += [nn.Conv2d(c_in, c_out, 4, 2, 1), norm_layer(norm, c_out), nn.LeakyReLU(0.2)]
        self.body = nn.Sequential(*layers, nn.Flatten())
        self.score = nn.Linear(width * 2**steps * base * base, 1)

    def forward(self, x: Tensor) -> Tensor:  # [N, C, H, W] -> [N, 1] raw scores (never squashed)
        return self.score(self.features(x))

    def features(self, x: Tensor) -> Tensor:  # [N, C, H, W] -> [N, F]: what the score reads
        return self.body(x)
