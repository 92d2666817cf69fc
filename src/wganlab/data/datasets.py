"""A run's data, chosen by `data.name`: a 2-D toy distribution or an image data set read from local files.

Every data set offers `sample(n, rng)`; image data sets also a held-out split where their files have one.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable

import torch

from wganlab.config import DataConfig
from wganlab.data.images import IMAGE_DATASETS, ImageData, ImageSource, load_images
from wganlab.data.stacked import StackedImages
from wganlab.data.toy import TOY_DATASETS, ToyDistribution, ToyEntry, make_toy
from wganlab.data.transforms import Transform
from wganlab.errors import UserError
from wganlab.parts import Parts

Dataset = ToyDistribution | ImageData | StackedImages
DATASETS: Parts[ToyEntry | ImageSource] = Parts("data.name", [*TOY_DATASETS.values(), *IMAGE_DATASETS.values()])
SPLITS = ("train", "test")  # data.split; which of them an image data set has is its own (ImageSource.splits)
TOY_SHAPE = (2,)  # every toy distribution lives in the plane


def is_image(name: str) -> bool:
    return isinstance(DATASETS.resolve(name), ImageSource)


def build_dataset(config: DataConfig, seed: int) -> Dataset:
    """The toy distribution, or the image data read from local files (never downloaded)."""
    if config.name in TOY_DATASETS:
        return make_toy(config.name, seed=seed, theta=config.theta)
    images = _read_images(config, config.split)
    if config.limit:
        if config.limit > len(images):
            raise UserError(f"data.limit {config.limit} is more than the {len(images)} images of {images.source}")
        images = images.first(config.limit)
    return _stacked(dataclasses.replace(images, flip=config.flip), config)


def placed(dataset: Dataset, device: torch.device | str) -> Dataset:
    """The training data with its images kept on the training device where they fit (images.py `placed`); data
    without a `placed` as it is (a toy distribution keeps its constants on each device that draws from it: toy.py
    `OnDevices`)."""
    place = getattr(dataset, "placed", None)
    return dataset if place is None else place(device)


def held_out_dataset(config: DataConfig, train_data: Dataset) -> Dataset | None:
    """The data's test split when it has one; a 2-D distribution is its own held-out data (drawn afresh)."""
    if isinstance(train_data, ToyDistribution):
        return train_data
    if config.split != "train" or "test" not in IMAGE_DATASETS[config.name].splits:
        return None
    try:
        return _stacked(_read_images(config, "test"), config)
    except UserError as error:  # no test split (or a damaged one): train without the held-out gap, and say why
        print(f"no held-out data, so no held-out gap: {error}", file=sys.stderr)
        return None


def expected_shape(config: DataConfig) -> tuple[int, ...] | None:
    """The shape of one sample, from the config alone where the format fixes it (None: read the data to know)."""
    if config.name in TOY_DATASETS:
        return TOY_SHAPE
    native = IMAGE_DATASETS[config.name].shape
    if native is None:
        return None
    channels, height, width = native
    width, height = _transform(config).output_size(width, height, config.root)
    return (config.stack if config.stack > 1 else channels), height, width


def shape_from(config: DataConfig, read: Callable[[], Dataset]) -> tuple[int, ...]:
    """One sample's shape: what the config fixes, else what the data `read` returns holds (read only then)."""
    return expected_shape(config) or data_shape(read())


def data_shape(dataset: Dataset) -> tuple[int, ...]:
    """(2,) for toy data, (C, H, W) for images."""
    return TOY_SHAPE if isinstance(dataset, ToyDistribution) else dataset.shape


def _transform(config: DataConfig) -> Transform:
    return Transform(config.crop, config.resize, config.resize_filter, config.pad_to)


def _read_images(config: DataConfig, split: str) -> ImageData:
    return load_images(config.name, config.root or None, split=split, resize=config.resize, pad_to=config.pad_to,
                       crop=config.crop, resize_filter=config.resize_filter)


def _stacked(images: ImageData, config: DataConfig) -> ImageData | StackedImages:
    return StackedImages(images, config.stack) if config.stack > 1 else images
