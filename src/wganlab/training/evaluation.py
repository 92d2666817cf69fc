"""What an evaluation measures and draws, chosen once at build time: toy metrics or image metrics.

An evaluator never touches the training RNG streams: it draws from its own generator seeded by the step.
In a distributed run every rank evaluates together: for images each generates, featurises and summarises its
share of the samples and rank 0 joins the summaries in order and computes the metrics; toy metrics (a second or
two) are rank 0's. Generated images are never held whole (docs/architecture.md, "An image evaluation in bounded
memory").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from wganlab.config import Config
from wganlab.data.datasets import Dataset
from wganlab.data.image_formats import as_saved
from wganlab.data.images import IMAGE_DATASETS, ImageData
from wganlab.data.stacked import StackedImages
from wganlab.data.toy import ToyDistribution
from wganlab.errors import UserError
from wganlab.integrity import content_digest
from wganlab.metrics import inception
from wganlab.metrics.extractor import FeatureExtractor
from wganlab.metrics.features import AUTO, EXTRACT_BATCH, EXTRACTORS
from wganlab.metrics.images import (
    ROWS,
    FeatureSet,
    Protocol,
    image_headline,
    image_metrics,
    stacked_features,
)
from wganlab.metrics.summary import FeatureSummary, needs_of, rebatch
from wganlab.metrics.toy import evaluate_toy, headline
from wganlab.models.conditional import classes_of
from wganlab.models.sampling import BATCH, generated, requested_labels, share_bounds
from wganlab.objectives.losses import Estimate
from wganlab.training.distributed import SOLO, Team
from wganlab.training.feature_cache import cached_features
from wganlab.training.figures import plot_toy, save_grid
from wganlab.training.validation import concrete_device

Draw = Callable[[Path, str], None]  # (path, title) -> writes the evaluation's figure
GRID_IMAGES = 64
STORED_CHUNK = 512  # stored 8-bit images (a data set, a samples file) converted to float at a time


def chunk_bytes(pixels: int) -> int:
    """Bytes of one chunk of BATCH generated images of `pixels` values each: as made (float32), through float64 to
    8 bits and back to float32 (what `generated` and `as_saved` hold at once)."""
    return BATCH * pixels * (4 + 8 + 1 + 4)


@dataclass(frozen=True)
class Measurement:
    metrics: dict[str, float]
    draw: Draw
    protocol: dict[str, object] = field(default_factory=dict)


def _nothing(path: Path, title: str) -> None:
    """The figure of a rank other than 0: none."""


@dataclass(frozen=True)
class ToyEvaluator:
    dataset: ToyDistribution
    estimate: Estimate
    config: Config
    team: Team = SOLO

    def measure(self, sampler: nn.Module, critic: nn.Module, seed: int) -> Measurement:
        if not self.team.main:
            return Measurement({}, _nothing)
        metrics, fake, real = evaluate_toy(
            sampler, critic, self.estimate, self.dataset, self.config.eval, self.config.model.latent_dim, seed
        )
        return Measurement(metrics, lambda path, title: plot_toy(path, critic, real, fake, title))

    @staticmethod
    def headline(metrics: dict[str, float]) -> str:
        return headline(metrics)


@dataclass
class ImageEvaluator:
    dataset: ImageData | StackedImages
    config: Config
    extractor_name: str | None  # None: sample grids only
    _extractor: FeatureExtractor | None = None
    _real: FeatureSet | None = None
    _real_label: str = ""  # where the real features came from, when not from the data set
    team: Team = SOLO  # a distributed run's ranks, which share the generated images

    @property
    def extractor(self) -> FeatureExtractor:
        """The feature extractor on the training device, built the first time features are needed (never just to
        look at a run)."""
        assert self.extractor_name is not None
        if self._extractor is None:
            weights = self.config.eval.extractor_weights or None
            self._extractor = EXTRACTORS[self.extractor_name].make(weights, concrete_device(self.config.train.device))
        return self._extractor

    @property
    def feature_dim(self) -> int:
        """D of the feature rows: the extractor's, side by side per channel for stacked data."""
        copies = self.dataset.copies if isinstance(self.dataset, StackedImages) else 1
        return copies * self.extractor.feature_dim

    def features(self, images: Tensor) -> tuple[Tensor, np.ndarray | None]:
        """One batch's features [n, D] and class probabilities [n, copies, K] (None: the extractor has no head)."""
        extract = self.extractor.extract
        if isinstance(self.dataset, StackedImages):
            return stacked_features(extract, images)
        features, probabilities = extract(images)
        return features, None if probabilities is None else probabilities.numpy()[:, None, :]

    def summarise(self, chunks: Iterable[Tensor], count: int, needs: frozenset[str]) -> FeatureSummary:
        """The features of `count` images given a chunk at a time, kept as `needs` says; the extractor sees them in
        batches of EXTRACT_BATCH however they were chunked."""
        summary = FeatureSummary(count, needs)
        for batch in rebatch(chunks, EXTRACT_BATCH):  # whatever the chunks they come in
            summary.update(*self.features(batch))
        return summary

    def real(self) -> FeatureSet:
        """The real features the metrics are measured against, kept only as far as the metrics need them (the rows
        for KID and precision/recall; the statistics always): a `wganlab stats` reference, or the data's."""
        if self._real is None:
            self._real = self.real_features(rows=ROWS in needs_of(self.config.eval.metrics))
        return self._real

    def real_features(self, rows: bool) -> FeatureSet:
        """The real data's feature statistics and, with `rows`, every feature row: of all of the split (a chunk at
        a time, so never all of it as floats in memory), or (stacked) of a fixed sample; cached on disk by a digest
        of the images."""
        data = self.dataset
        if isinstance(data, StackedImages):
            images = data.sample(self.config.eval.image_samples, torch.Generator().manual_seed(0))
            key, count, chunks = content_digest(images.numpy()), len(images), lambda: images.split(STORED_CHUNK)
        else:
            key, count, chunks = data.fingerprint(), len(data), lambda: data.chunks(STORED_CHUNK)
        return cached_features(key, count, self.feature_dim, self.extractor, rows,
                               lambda needs: self.summarise(chunks(), count, needs).result())

    def use_reference(self, real: FeatureSet, label: str) -> None:
        """Measure against these real features (a `wganlab stats` file) instead of the data set's."""
        self._real, self._real_label = real, label

    def real_label(self) -> str:
        data = self.config.data
        return self._real_label or f"{data.name} {data.split}" + (f" (stacked {data.stack})" if data.stack > 1 else "")

    def measure(self, sampler: nn.Module, critic: nn.Module, seed: int) -> Measurement:
        """The metrics of `image_samples` generated images, measured as 8-bit images (as saved to files and as
        torch-fidelity reads them), so `wganlab sample` followed by `wganlab evaluate` gives the same numbers.
        The images are made, featurised and summarised a chunk at a time; only the grid's are kept."""
        count, team, metrics = self.config.eval.image_samples, self.team, self.config.eval.metrics
        share = (team.rank, team.world)  # each rank generates its consecutive part of the same latents
        latent_dim = self.config.model.latent_dim
        if self.extractor_name is None or not metrics:  # the grid only: its own images, and no others
            if not team.main:
                return Measurement({}, _nothing)
            grid = torch.cat(list(generated(sampler, count, latent_dim, seed, first=GRID_IMAGES)))
            return Measurement({}, lambda path, title: save_grid(path, grid))
        kept: list[Tensor] = []  # the grid's images; rank 0's part starts at the first image
        images = keep_first(GRID_IMAGES, kept, generated(sampler, count, latent_dim, seed, share))
        draw: Draw = (lambda path, title: save_grid(path, torch.cat(kept))) if team.main else _nothing
        start, stop = share_bounds(count, share)
        own = stop - start  # this rank's part of the images
        parts = team.gather_to_main(self.summarise((as_saved(chunk) for chunk in images), own, needs_of(metrics)))
        if parts is None:
            return Measurement({}, _nothing)
        real, classes = self.real(), classes_of(sampler)
        fake = with_labels(FeatureSummary.joined(parts).result(), classes)
        measured = image_metrics(fake, real, metrics)
        protocol = Protocol(self.extractor.name, self.extractor.weights_id, count, real.count, self.real_label(),
                            labels_protocol(classes) if "accuracy" in metrics else "")
        return Measurement(measured, draw, protocol.as_dict())

    @staticmethod
    def headline(metrics: dict[str, float]) -> str:
        return image_headline(metrics) or "(no image metrics: eval.metrics and eval.extractor choose them)"


Evaluator = ToyEvaluator | ImageEvaluator


def with_labels(fake: FeatureSet, classes: int) -> FeatureSet:
    """A run's generated features with the label of each image: the class a conditional generator (`classes` > 0)
    made it for, i mod K (models/sampling.py); for an unconditional generator the same rule over the extractor's
    classes, labels it never saw (classifier_accuracy is then the chance line)."""
    if fake.probabilities is None:
        return fake
    labels = requested_labels(fake.count, classes or fake.probabilities.shape[2])
    return dataclasses.replace(fake, labels=labels.numpy())


def labels_protocol(classes: int) -> str:
    """How classifier_accuracy's labels were chosen, for the protocol beside it."""
    if classes:
        return f"generated image i made for class i mod {classes} (balanced); accuracy per class, then their mean"
    return ("unconditional generator: class i mod K assigned to generated image i, which the generator never sees "
            "(the chance line); accuracy per class, then their mean")


def keep_first(wanted: int, kept: list[Tensor], chunks: Iterator[Tensor]) -> Iterator[Tensor]:
    """The chunks, passed on; copies of the first `wanted` images are appended to `kept` on the way."""
    for chunk in chunks:
        have = sum(len(part) for part in kept)
        if have < wanted:
            kept.append(chunk[: wanted - have].clone())
        yield chunk


@dataclass(frozen=True)
class ExtractorChoice:
    """The feature extractor a config's image metrics use on this machine, and why (one line for the user)."""

    name: str | None  # None: none can be had here, and image metrics are off
    reason: str  # why this one; for none, why and what turns them on


def choose_extractor(config: Config) -> ExtractorChoice:
    """eval.extractor; for "auto", the data set's own classifier where it has one (8x8 digits: a closer yardstick
    than Inception, which sees them blown up to 299x299), else torch-fidelity's InceptionV3 where it can be had
    (torch-fidelity installed and its weights given, cached or fetched now: metrics/inception.py), else none."""
    if config.eval.extractor != AUTO:
        return ExtractorChoice(config.eval.extractor, f"eval.extractor {config.eval.extractor}")
    source = IMAGE_DATASETS.get(config.data.name)
    if source is not None and source.extractor is not None:
        return ExtractorChoice(source.extractor, f"eval.extractor auto: the classifier shipped for {source.name}, "
                                                 "a closer yardstick for these images than Inception")
    if config.data.stack > 1:
        return ExtractorChoice(None, "stacked images are measured per channel by a classifier of their data: train "
                                     "one with `wganlab classifier train` and set eval.extractor=classifier")
    problem = None if config.eval.extractor_weights else inception.unavailable()
    if problem is not None:
        return ExtractorChoice(None, problem)
    return ExtractorChoice("inception", "eval.extractor auto: torch-fidelity's InceptionV3 and resize (the "
                                        "standard FID, KID and IS protocol)")


def build_evaluator(config: Config, dataset: Dataset, estimate: Estimate, team: Team = SOLO) -> Evaluator:
    """Toy metrics for 2-D data; image metrics otherwise, with the extractor's weights and input shape checked
    now (a user error before any training) but the extractor itself built on first use."""
    if isinstance(dataset, ToyDistribution):
        return ToyEvaluator(dataset, estimate, config, team)
    name = choose_extractor(config).name if config.eval.metrics else None  # no metrics: sample grids only
    if name is not None:
        expected = EXTRACTORS.resolve(name).input_shape(config.eval.extractor_weights or None)
        channel_shape = (1, *dataset.shape[1:]) if isinstance(dataset, StackedImages) else dataset.shape
        if expected is not None and tuple(expected) != tuple(channel_shape):
            raise UserError(
                f"eval.extractor {name!r} takes images of shape {tuple(expected)}, but the data's are "
                f"{tuple(channel_shape)}: choose another extractor or set eval.metrics = []"
            )
    return ImageEvaluator(dataset, config, name, team=team)
