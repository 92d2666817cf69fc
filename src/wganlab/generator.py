"""`wganlab.load_generator`: a trained generator, ready to sample, from a run folder, a checkpoint or a file
written by `wganlab export`.

An exported file is read with the network code alone (models/): torch, safetensors and wganlab's config and
models, nothing of training, data or metrics, so it loads wherever the generator is wanted.
"""

from __future__ import annotations

from pathlib import Path

import torch

from wganlab.models import portable
from wganlab.models.portable import TrainedGenerator


def load_generator(
    source: str | Path, ema: bool = True, device: str | torch.device = "cpu", *, data_root: str | None = None
) -> TrainedGenerator:
    """The generator of `source`: a run folder (its latest checkpoint), a checkpoint file, or FILE.safetensors
    from `wganlab export`; in eval mode on `device`, with its latent size, sample shape and value range.

    `ema`: the exponential moving average of the weights where the run keeps one (what its evaluation measures),
    else the trained weights. `data_root`: where the training data is now, read only for a checkpoint written
    before checkpoints recorded the shape of a sample. A missing, damaged or foreign source is a one-line
    `UserError`.
    """
    path = Path(source).expanduser()
    if path.suffix == portable.SUFFIX:
        return portable.read(path, ema, device)
    # A run's checkpoint is read by the training code; imported here only, so an exported file needs none of it.
    from wganlab.training.run_generator import generator_of

    return generator_of(path, ema, device, data_root)
