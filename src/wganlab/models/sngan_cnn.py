"""The standard CNN of the spectral-normalisation paper (Miyato et al. 2018, Table 3; the official chainer-gan-lib
`DCGANGenerator` and `SNDCGANDiscriminator`), with width = the critic's first channel count (64 in the paper).

Generator: Linear(latent, M*M*8w) -> BatchNorm -> ReLU -> [8w, M, M] -> three 4x4 stride-2 deconvolutions to 4w, 2w,
w (BatchNorm, ReLU) -> 3x3 convolution to the image's channels -> tanh, M = size / 8 (4 for 32x32 CIFAR-10).
Critic: 3x3 w, 4x4 stride-2 2w, 3x3 2w, 4x4 s2 4w, 3x3 4w, 4x4 s2 8w, 3x3 8w, each with LeakyReLU 0.1, then
Linear(M*M*8w, 1). For CIFAR-10 with w = 64 and latent 128: 3,828,739 and 5,860,865 parameters, as the official
code. Deviations: LeakyReLU 0.1 as the paper (the chainer code used its default 0.2); latents N(0, I) as the
paper (the code drew them uniformly); spectral norm, where used, is the objective's constraint, not built in.
"""

from __future__ import annotations

from torch import Tensor, nn

from wganlab.errors import UserError
from wganlab.models.norms import norm_layer

DOUBLINGS = 3


def bottom_width(shape: tuple[int, ...]) -> int:
    channels, height, width = shape
    if height != width or height % 2**DOUBLINGS or height < 2**DOUBLINGS:
        raise UserError(
            f"model.arch 'sngan-cnn' needs square images whose size is a multiple of 8 (32 for CIFAR-10, 48 for "
            f"STL-10), got {height}x{width}; set data.resize"
        )
    return height // 2**DOUBLINGS


class SNGANGenerator(nn.Module):
    def __init__(self, latent_dim: int, shape: tuple[int, ...], width: int = 64, norm: str = "batch"):
        super().__init__()
        self.bottom, self.top = bottom_width(shape), 8 * width
        features = self.bottom * self.bottom * self.top
        project_norm = nn.BatchNorm1d(features) if norm == "batch" else norm_layer("none", features)
        self.project = nn.Sequential(nn.Linear(latent_dim, features), project_norm, nn.ReLU())
        layers: list[nn.Module] = []
        for c_in in (8 * width, 4 * width, 2 * width):
            layers += [nn.ConvTranspose2d(c_in, c_in // 2, 4, 2, 1), norm_layer(norm, c_in // 2), nn.ReLU()]
        layers += [nn.Conv2d(width, shape[0], 3, 1, 1), nn.Tanh()]
        self.body = nn.Sequential(*layers)

    def forward(self, z: Tensor) -> Tensor:  # [N, latent] -> [N, C, H, W]
        return self.body(self.project(z).view(-1, self.top, self.bottom, self.bottom))


class SNGANCritic(nn.Module):
    def __init__(self, shape: tuple[int, ...], width: int = 64, norm: str = "none"):
        super().__init__()
        bottom = bottom_width(shape)
        layers: list[nn.Module] = [nn.Conv2d(shape[0], width, 3, 1, 1), nn.LeakyReLU(0.1)]
        for c_in in (width, 2 * width, 4 * width):
            c_out = 2 * c_in
            layers += [nn.Conv2d(c_in, c_out, 4, 2, 1), norm_layer(norm, c_out), nn.LeakyReLU(0.1)]
            layers += [nn.Conv2d(c_out, c_out, 3, 1, 1), norm_layer(norm, c_out), nn.LeakyReLU(0.1)]
        self.body = nn.Sequential(*layers, nn.Flatten())
        self.score = nn.Linear(bottom * bottom * 8 * width, 1)

    def forward(self, x: Tensor) -> Tensor:  # [N, C, H, W] -> [N, 1] raw scores
        return self.score(self.body(x))
