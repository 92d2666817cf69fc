"""The WGAN-GP MNIST code's networks (Gulrajani et al. 2017, gan_mnist.py, MODE 'wgan-gp'), DIM = width.

Generator: Linear(latent, 4*4*4*DIM) -> ReLU -> [4*DIM, 4, 4] -> 5x5 stride-2 deconvolution to 2*DIM -> ReLU ->
crop to 7x7 -> deconvolution to DIM -> ReLU -> deconvolution to 1 channel. Critic: three 5x5 stride-2
convolutions (DIM, 2*DIM, 4*DIM) with LeakyReLU 0.2, then Linear(4*4*4*DIM, 1). With DIM 64 and latent 128:
1,554,177 and 1,030,145 parameters, as the official code. Deviations: tanh instead of the official sigmoid on the
generator's output, because wganlab's images lie in [-1, 1]; PyTorch's default initialisation; 'SAME' padding
written as symmetric padding of 2 (the same sizes: 28 -> 14 -> 7 -> 4). The norms are identity in the official
wgan-gp mode and optional here (after each hidden layer but the first of the critic, as its 'wgan' mode).
"""

from __future__ import annotations

from torch import Tensor, nn

from wganlab.errors import UserError
from wganlab.models.norms import norm_layer

SHAPE = (1, 28, 28)


def _check(shape: tuple[int, ...]) -> None:
    if tuple(shape) != SHAPE:
        raise UserError(
            f"model.arch 'mnist-conv' is the WGAN-GP MNIST code's network for 28x28 grayscale images, got "
            f"{tuple(shape)}; use model.arch = \"dcgan\" or resize/pad the data to 28 (data.resize, data.pad_to)"
        )


def _deconv(c_in: int, c_out: int) -> nn.ConvTranspose2d:
    return nn.ConvTranspose2d(c_in, c_out, 5, stride=2, padding=2, output_padding=1)  # doubles the size


class MNISTConvGenerator(nn.Module):
    def __init__(self, latent_dim: int, shape: tuple[int, ...], width: int = 64, norm: str = "none"):
        super().__init__()
        _check(shape)
        self.width = width
        self.project = nn.Sequential(nn.Linear(latent_dim, 4 * 4 * 4 * width), nn.ReLU())
        self.up1 = nn.Sequential(_deconv(4 * width, 2 * width), norm_layer(norm, 2 * width), nn.ReLU())  # 4 -> 8
        self.up2 = nn.Sequential(_deconv(2 * width, width), norm_layer(norm, width), nn.ReLU())  # 7 -> 14
        self.out = nn.Sequential(_deconv(width, 1), nn.Tanh())  # 14 -> 28

    def forward(self, z: Tensor) -> Tensor:  # [N, latent] -> [N, 1, 28, 28]
        h = self.up1(self.project(z).view(-1, 4 * self.width, 4, 4))
        return self.out(self.up2(h[:, :, :7, :7]))  # the official crop of 8x8 to 7x7


class MNISTConvCritic(nn.Module):
    def __init__(self, shape: tuple[int, ...], width: int = 64, norm: str = "none"):
        super().__init__()
        _check(shape)
        self.body = nn.Sequential(
            nn.Conv2d(1, width, 5, stride=2, padding=2), nn.LeakyReLU(0.2),  # 28 -> 14
            nn.Conv2d(width, 2 * width, 5, stride=2, padding=2), norm_layer(norm, 2 * width), nn.LeakyReLU(0.2),
            nn.Conv2d(2 * width, 4 * width, 5, stride=2, padding=2), norm_layer(norm, 4 * width), nn.LeakyReLU(0.2),
            nn.Flatten(),  # 4 x 4 x 4*DIM
        )
        self.score = nn.Linear(4 * 4 * 4 * width, 1)

    def forward(self, x: Tensor) -> Tensor:  # [N, 1, 28, 28] -> [N, 1] raw scores
        return self.score(self.body(x))
