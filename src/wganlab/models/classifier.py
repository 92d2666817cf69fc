"""A small CNN image classifier whose hidden layer serves as features for image metrics."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from wganlab.errors import UserError
from wganlab.files import load_tensors, write_bytes_atomic

FILE_FORMAT = "wganlab-classifier"
FILE_VERSION = 1
ARCHITECTURE_KEYS = ("channels", "size", "num_classes", "feature_dim")
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


def architecture(model: Classifier) -> dict[str, int]:
    """The constructor arguments that rebuild `model`."""
    return {key: int(getattr(model, key)) for key in ARCHITECTURE_KEYS}


def save_classifier(path: str | Path, model: Classifier, report: dict[str, Any]) -> None:
    """Write the weights, architecture and report to one file, atomically."""
    path = Path(path)
    payload = {
        "format": FILE_FORMAT,
        "version": FILE_VERSION,
        "architecture": architecture(model),
        "report": dict(report),
        "state_dict": {name: tensor.detach().cpu().clone() for name, tensor in model.state_dict().items()},
    }
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    write_bytes_atomic(path, buffer.getvalue())


_REMEDY = "pass a file written by save_classifier (e.g. by scripts/train_digit_classifier.py)"


def _read_payload(path: Path) -> dict[str, Any]:
    """The checked contents of a classifier file; a missing, damaged or foreign file is a UserError."""
    if not path.is_file():
        raise UserError(f"classifier file {path} not found; {_REMEDY}")
    try:
        payload = load_tensors(path)
    except ValueError as reason:
        raise UserError(f"cannot read classifier file {path} (damaged or truncated?): {reason}; {_REMEDY}") from None
    if not isinstance(payload, dict) or payload.get("format") != FILE_FORMAT:
        raise UserError(f"{path} is not a wganlab classifier file; {_REMEDY}")
    if payload.get("version") != FILE_VERSION:
        raise UserError(f"{path} has classifier file version {payload.get('version')}, expected {FILE_VERSION}")
    return payload


def _architecture(path: Path, payload: dict[str, Any]) -> dict[str, int]:
    try:
        return {key: int(payload["architecture"][key]) for key in ARCHITECTURE_KEYS}
    except (KeyError, TypeError, ValueError) as error:
        raise UserError(f"classifier file {path} is inconsistent: {error}; {_REMEDY}") from None


def classifier_architecture(path: str | Path) -> dict[str, int]:
    """The constructor arguments of the classifier in `path` (ARCHITECTURE_KEYS), read without building it."""
    path = Path(path)
    return _architecture(path, _read_payload(path))


def classifier_input_shape(path: str | Path) -> tuple[int, int, int]:
    """(C, H, W) of the images the classifier in `path` takes, read from the file without building it."""
    shape = classifier_architecture(path)
    return shape["channels"], shape["size"], shape["size"]


def load_classifier(path: str | Path) -> tuple[Classifier, dict[str, Any]]:
    """Rebuild a classifier written by save_classifier (eval mode) and return it with its report."""
    path = Path(path)
    payload = _read_payload(path)
    try:
        model = Classifier(**_architecture(path, payload))
        model.load_state_dict(payload["state_dict"])
    except (KeyError, TypeError, ValueError, RuntimeError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise UserError(f"classifier file {path} is inconsistent: {reason}; {_REMEDY}") from None
    model.eval()
    return model, dict(payload.get("report", {}))
