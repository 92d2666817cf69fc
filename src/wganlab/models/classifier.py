"""A small CNN image classifier whose hidden layer serves as features for image metrics."""

from __future__ import annotations

from torch import Tensor, nn

from wganlab.errors import UserError

WIDTHS = (16, 32, 32)  # conv channels; small enough that the shipped weights stay well under 200 KB
GRID = 3  # adaptive average pool to GRID x GRID before the fully connected layers


def pool_count(size: int) -> int:
    """How many 2x2 max-pools the network applies: one below 16 pixels, two from 16 on."""
    return 1 if size < 16 else 2


class Classifier(nn.Module):
    """Three 3x3 conv blocks, 1-2 max-pools, a GRID x GRID average pool, a hidden layer, a linear head.

    Images are [N, channels, size, size] in [-1, 1]. No BatchNorm, so the features of an image do not
    depend on the rest of its batch; there is no dropout, so train and eval modes compute the same.
    """

    def __init__(self, channels: int, size: int, num_classes: int = 10, feature_dim: int = 64):
        super().__init__()
        if channels < 1 or size < 8 or num_classes < 2 or feature_dim < 1:
            raise UserError(
                f"classifier needs channels >= 1, size >= 8, num_classes >= 2, feature_dim >= 1; got "
                f"channels={channels}, size={size}, num_classes={num_classes}, feature_dim={feature_dim}"
            )
        self.channels, self.size = channels, size
        self.num_classes, self.feature_dim = num_classes, feature_dim
        pools = pool_count(size)
        layers: list[nn.Module] = []
        in_channels = channels
        for index, width in enumerate(WIDTHS):
            layers += [nn.Conv2d(in_channels, width, 3, padding=1), nn.LeakyReLU(0.2)]
            if 1 <= index <= pools:  # pool after the second (and third) conv, never before the first
                layers.append(nn.MaxPool2d(2))
            in_channels = width
        layers += [nn.AdaptiveAvgPool2d(GRID), nn.Flatten()]
        self.body = nn.Sequential(*layers)
        self.hidden = nn.Sequential(nn.Linear(in_channels * GRID * GRID, feature_dim), nn.LeakyReLU(0.2))
        self.head = nn.Linear(feature_dim, num_classes)

    def features(self, x: Tensor) -> Tensor:  # [N, C, H, W] -> [N, feature_dim]
        """The hidden layer's activations: the features for FID/KID/precision-recall."""
        return self.hidden(self.body(x))

    def forward(self, x: Tensor) -> Tensor:  # [N, C, H, W] -> [N, num_classes] logits
        return self.head(self.features(x))
