"""What is done to every image once, when it is read: centre crop to a square, resize with a named filter, pad.

One `Transform` serves every source. 8-bit images stay 8-bit (Pillow resizes them, as torchvision and
torch-fidelity do); float images (digits, float arrays) are resized by Pillow in 32-bit float mode and stay
float. Random flips are not here: they are drawn per batch, by the data set (images.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from wganlab.errors import UserError
from wganlab.parts import Parts


@dataclass(frozen=True)
class Filter:
    name: str
    description: str
    resampling: Image.Resampling


# data.resize_filter: Pillow's resampling filters (all but "nearest" antialias when shrinking, as Pillow does)
FILTERS: Parts[Filter] = Parts("data.resize_filter", [
    Filter("nearest", "the nearest pixel (no smoothing; aliases when shrinking)", Image.Resampling.NEAREST),
    Filter("box", "the mean of the pixels each output pixel covers", Image.Resampling.BOX),
    Filter("bilinear", "linear in each direction, antialiased (torchvision's default)", Image.Resampling.BILINEAR),
    Filter("hamming", "a Hamming-windowed sinc, sharper than bilinear", Image.Resampling.HAMMING),
    Filter("bicubic", "cubic in each direction, antialiased (PIL's bicubic)", Image.Resampling.BICUBIC),
    Filter("lanczos", "Lanczos-3, the sharpest", Image.Resampling.LANCZOS),
])


@dataclass(frozen=True)
class Transform:
    """Centre crop to the largest square (`crop`), then resize to resize x resize, then pad to pad_to x pad_to."""

    crop: bool = False
    resize: int = 0  # 0: keep the size
    resize_filter: str = "bilinear"
    pad_to: int = 0  # 0: no padding; pixels added are black (0, or -1 in [-1, 1])

    def __post_init__(self) -> None:
        if self.resize < 0 or self.pad_to < 0:
            raise UserError(
                f"resize and pad_to must be >= 0 (0 means off), got resize={self.resize}, pad_to={self.pad_to}"
            )
        FILTERS.resolve(self.resize_filter, "data.resize_filter")

    @property
    def identity(self) -> bool:
        return not (self.crop or self.resize or self.pad_to)

    def describe(self) -> str:
        steps = ["centre crop to a square"] if self.crop else []
        steps += [f"resize to {self.resize}x{self.resize} ({self.resize_filter})"] if self.resize else []
        steps += [f"pad to {self.pad_to}x{self.pad_to}"] if self.pad_to else []
        return ", ".join(steps) or "as stored"

    def output_size(self, width: int, height: int, where: str) -> tuple[int, int]:
        """(width, height) after the transform of a width x height image; UserError if it cannot pad."""
        if self.crop:
            width = height = min(width, height)
        if self.resize:
            width = height = self.resize
        if self.pad_to:
            if self.pad_to < width or self.pad_to < height:
                raise UserError(f"cannot pad {width}x{height} images from {where} to {self.pad_to}x{self.pad_to}: "
                                "data.pad_to is too small")
            width = height = self.pad_to
        return width, height

    def crop_and_resize(self, image: Image.Image) -> Image.Image:
        """The Pillow image cropped and resized (padding is done on arrays, by `pad`)."""
        if self.crop:
            width, height = image.size
            side = min(width, height)
            left, top = (width - side) // 2, (height - side) // 2
            image = image.crop((left, top, left + side, top + side))
        if self.resize and image.size != (self.resize, self.resize):
            image = image.resize((self.resize, self.resize), FILTERS[self.resize_filter].resampling)
        return image

    def pad(self, pixels: np.ndarray, value: float) -> np.ndarray:
        """[..., H, W] padded symmetrically with `value` to pad_to x pad_to; the odd pixel goes last."""
        if not self.pad_to:
            return pixels
        height, width = pixels.shape[-2:]
        top, left = (self.pad_to - height) // 2, (self.pad_to - width) // 2
        margins = [(0, 0)] * (pixels.ndim - 2) + [(top, self.pad_to - height - top), (left, self.pad_to - width - left)]
        return np.pad(pixels, margins, constant_values=value)


def channels_first(image: Image.Image) -> np.ndarray:
    """A Pillow image as an array [C, H, W] (its own dtype)."""
    pixels = np.asarray(image)
    return pixels[None] if pixels.ndim == 2 else pixels.transpose(2, 0, 1)


def transform_uint8(pixels: np.ndarray, transform: Transform, where: str) -> np.ndarray:
    """uint8 [N, C, H, W] -> uint8 [N, C, h, w], one image at a time (Pillow on 8-bit images)."""
    if transform.identity:
        return pixels
    count, channels, height, width = pixels.shape
    out_width, out_height = transform.output_size(width, height, where)
    out = np.zeros((count, channels, out_height, out_width), dtype=np.uint8)
    for index, image in enumerate(pixels):
        planar = image[0] if channels == 1 else image.transpose(1, 2, 0)
        out[index] = transform.pad(channels_first(transform.crop_and_resize(Image.fromarray(planar))), 0)
    return out


def transform_float(images: Tensor, transform: Transform, where: str) -> Tensor:
    """float32 [N, C, H, W] in [-1, 1] -> float32 [N, C, h, w] in [-1, 1] (Pillow's 32-bit float mode, clamped)."""
    if transform.identity:
        return images
    count, channels, height, width = images.shape
    out_width, out_height = transform.output_size(width, height, where)
    out = np.full((count, channels, out_height, out_width), -1.0, dtype=np.float32)
    for index, image in enumerate(images.numpy()):
        planes = [np.asarray(transform.crop_and_resize(Image.fromarray(np.ascontiguousarray(p)))) for p in image]
        out[index] = transform.pad(np.clip(np.stack(planes), -1.0, 1.0), -1.0)
    return torch.from_numpy(out)
