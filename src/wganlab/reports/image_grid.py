"""Save a grid of images in [-1, 1] as one PNG."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
from torch import Tensor

from wganlab import rundir


def save_grid(path: Path, images: Tensor, columns: int = 0, min_cell: int = 32) -> None:
    """Tile [N, C, H, W] images (C = 1 or 3) in a grid; small images are enlarged to at least `min_cell` pixels."""
    from PIL import Image

    count, channels, height, width = images.shape
    columns = columns or math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    scale = max(1, math.ceil(min_cell / max(height, width)))
    pixels = ((images.detach().cpu().clamp(-1, 1) + 1) * 127.5).round().byte().numpy()  # [N, C, H, W]
    pixels = pixels.repeat(scale, axis=2).repeat(scale, axis=3)
    cell_h, cell_w, pad = height * scale, width * scale, 2
    canvas = np.full((channels, rows * (cell_h + pad) + pad, columns * (cell_w + pad) + pad), 255, np.uint8)
    for index in range(count):
        r, c = divmod(index, columns)
        top, left = pad + r * (cell_h + pad), pad + c * (cell_w + pad)
        canvas[:, top : top + cell_h, left : left + cell_w] = pixels[index]
    mode = "L" if channels == 1 else "RGB"
    picture = Image.fromarray(canvas[0] if channels == 1 else canvas.transpose(1, 2, 0), mode)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    rundir.atomic_write_bytes(path, buffer.getvalue())
