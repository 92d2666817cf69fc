"""Decoding an image folder (image_folder.py): what it silences while its threads decode."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from PIL import Image

from tests.data.test_image_cache import CELEBA, write_folder
from wganlab.data import image_folder
from wganlab.data.image_cache import decode_folder


def test_only_pillows_warnings_are_silenced_while_decoding(tmp_path: Path, monkeypatch) -> None:
    """The filter that quiets Pillow's warnings (an EXIF block it cannot read; its decompression-bomb warning:
    tests/test_hostile_inputs.py) holds for the whole process while the threads decode, so it names Pillow's
    alone: every other warning, of any thread, still shows."""
    original = image_folder.channels_first

    def warns(image: Image.Image) -> np.ndarray:
        warnings.warn_explicit("Corrupt EXIF data", UserWarning, "TiffImagePlugin.py", 1, module="PIL.TiffImagePlugin")
        warnings.warn("not Pillow's", RuntimeWarning, stacklevel=1)
        return original(image)

    monkeypatch.setattr(image_folder, "channels_first", warns)
    write_folder(tmp_path / "data", count=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        decode_folder(tmp_path / "data", CELEBA, cache=False, progress=False)
    assert [str(each.message) for each in caught] == ["not Pillow's"] * 2
