"""The DCGAN of Radford et al. (2016) as the WGAN paper trained it (martinarjovsky/WassersteinGAN, models/dcgan.py,
no extra layers), width = ngf = ndf (64 in both papers), for square images of 2^k pixels (k >= 3).

Generator: latent as a 1x1 map -> 4x4 transposed convolution to width * size/8 -> BatchNorm -> ReLU -> 4x4
stride-2 transposed convolutions halving the channels (BatchNorm, ReLU) up to size/2 -> a last one to the
image's channels -> tanh. Critic: 4x4 stride-2 convolution to width -> LeakyReLU 0.2 -> 4x4 stride-2
convolutions doubling the channels (BatchNorm, LeakyReLU 0.2) down to 4x4 -> a 4x4 convolution to one score.
No biases. For 64x64 RGB, latent 100: 3,576,704 and 2,765,568 parameters, as the official code.
"""

from __future__ import annotations

from torch import Tensor, nn

from wganlab.errors import UserError
from wganlab.models.norms import norm_layer


def doublings(shape: tuple[int, ...]) -> int:
    """k - 2 for 2^k-pixel images: the stride-2 layers between the 4x4 map and the image."""
    _, height, width = shape
    if height != width or height < 8 or height & (height - 1):
        raise UserError(
            f"model.arch 'dcgan-paper' needs square images of 8, 16, 32, 64, ... pixels, got {height}x{width}; "
            "set data.resize (64 as the WGAN paper's LSUN runs) or data.pad_to"
        )
    return height.bit_length() - 3


class PaperDCGANGenerator(nn.Module):
    def __init__(self, latent_dim: int, shape: tuple[int, ...], width: int = 64, norm: str = "batch"):
        super().__init__()
        steps = doublings(shape)
        channels = width * 2 ** (steps - 1)
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(latent_dim, channels, 4, 1, 0, bias=False), norm_layer(norm, channels), nn.ReLU()
        ]
        for _ in range(steps - 1):
            layers += [nn.ConvTranspose2d(channels, channels // 2, 4, 2, 1, bias=False)]
            layers += [norm_layer(norm, channels // 2), nn.ReLU()]
            channels //= 2
        layers += [nn.ConvTranspose2d(channels, shape[0], 4, 2, 1, bias=False), nn.Tanh()]
        self.body = nn.Sequential(*layers)

    def forward(self, z: Tensor) -> Tensor:  # [N, latent] -> [N, C, H, W]
        return self.body(z[:, :, None, None])


class PaperDCGANCritic(nn.Module):
    def __init__(self, shape: tuple[int, ...], width: int = 64, norm: str = "batch"):
        super().__init__()
        steps = doublings(shape)
        layers: list[nn.Module] = [nn.Conv2d(shape[0], width, 4, 2, 1, bias=False), nn.LeakyReLU(0.2)]
        channels = width
        for _ in range(steps - 1):
            layers += [nn.Conv2d(channels, 2 * channels, 4, 2, 1, bias=False)]
            layers += [norm_layer(norm, 2 * channels), nn.LeakyReLU(0.2)]
            channels *= 2
        layers += [nn.Conv2d(channels, 1, 4, 1, 0, bias=False), nn.Flatten()]
        self.body = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:  # [N, C, H, W] -> [N, 1] raw scores
        return self.body(x)
