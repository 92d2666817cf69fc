"""Image metrics on extractor features: FID, KID, IS, precision/recall and class modes, in one place.

Names carry the generated-sample count (`fid_2000`); the extractor, its weights and the real count are
recorded beside them as the protocol (see `Protocol`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from wganlab.errors import UserError
from wganlab.files import open_npz, parse_json
from wganlab.metrics.frechet import GaussianStatistics, frechet_distance
from wganlab.metrics.inception_score import inception_score
from wganlab.metrics.kernel import kernel_inception_distance
from wganlab.metrics.precision_recall import precision_recall
from wganlab.metrics.soundness import statistics_problem
from wganlab.parts import Parts

KID_SUBSETS, KID_SUBSET_SIZE, PR_NEIGHBOURS, IS_SPLITS = 100, 1000, 3, 10
KID_SEED = 0  # the subsets KID averages over are part of its protocol: the same for every evaluation
STATISTICS, ROWS, PROBABILITIES = "statistics", "rows", "probabilities"  # what a metric reads of a set's features


@dataclass(frozen=True)
class FeatureSet:
    """Features of a set of images, with class probabilities when the extractor has a classifier head.

    A set may keep only what its metrics need (metrics/summary.py): the features' Gaussian statistics (enough for
    FID; all a `wganlab stats` reference keeps without --features), the rows (KID, precision/recall), the
    probabilities (IS, modes).
    """

    features: np.ndarray | None  # [N, D] in the extractor's precision (float32 or float64); None: not kept
    probabilities: np.ndarray | None  # [N, copies, K]: one distribution per channel (copies = 1 unstacked)
    statistics: tuple[np.ndarray, np.ndarray] | None = None  # (mean [D], covariance [D, D]) when known already
    size: int = 0  # the image count when `features` is None
    # generated images only: [N] the class each was made for (a conditional generator's), or assigned to it (an
    # unconditional one's: the chance line); what `classifier_accuracy` compares the extractor's classes with
    labels: np.ndarray | None = None

    @property
    def count(self) -> int:
        return self.size if self.features is None else int(self.features.shape[0])

    def gaussian(self) -> tuple[np.ndarray, np.ndarray]:
        """(mean, n - 1 covariance) of the features."""
        return self.statistics if self.statistics is not None else gaussian(self.all_features("FID"))

    def all_features(self, metric: str) -> np.ndarray:
        if self.features is None:
            raise UserError(
                f"{metric} needs every real feature, and this reference keeps only FID's statistics: make it with "
                "`wganlab stats ... --features`"
            )
        return self.features


@dataclass(frozen=True)
class StoredFeatures:
    """What a file of stored features (a `wganlab stats` reference, a feature cache entry) holds, as read; what
    each kind of file must also hold, its reader checks."""

    names: frozenset[str]  # every array in the file
    about: Any  # its 'about' record, parsed (None: it has none)
    # its 'mean' and 'covariance', and its 'features' when asked for and held; nothing unless it holds all of its
    # record, mean and covariance
    arrays: dict[str, np.ndarray]

    def feature_set(self, count: object) -> FeatureSet | str:
        """These statistics (and rows) as the FeatureSet of `count` images (the count as read: anything), or what
        is wrong with them (metrics/soundness.py): nothing is computed from unsound statistics."""
        mean, covariance, features = self.arrays["mean"], self.arrays["covariance"], self.arrays.get("features")
        if (problem := statistics_problem(mean, covariance, features, count)) is not None:
            return problem
        assert isinstance(count, int)  # statistics_problem checked it
        statistics = (mean.astype(np.float64, copy=False), covariance.astype(np.float64, copy=False))
        return FeatureSet(features, None, statistics, count)


def read_stored(path: Path, rows: bool) -> StoredFeatures:
    """The file of stored features `path` (.npz, read without unpickling: files.open_npz): its record, mean and
    covariance, and its feature rows only with `rows` (FID needs the statistics alone, and the rows of 50k images
    are 400 MB). A file that cannot be read raises what open_npz raises, or ValueError (a record not JSON)."""
    with open_npz(path) as saved:
        names = frozenset(saved.files)
        about = parse_json(str(saved["about"][()])) if "about" in names else None
        if not {"about", "mean", "covariance"} <= names:
            return StoredFeatures(names, about, {})
        wanted = ("mean", "covariance", *(("features",) if rows and "features" in names else ()))
        return StoredFeatures(names, about, {name: saved[name] for name in wanted})


@dataclass(frozen=True)
class Protocol:
    extractor: str
    weights: str
    fake_samples: int
    real_samples: int
    real: str = ""  # which real images: e.g. "cifar10 train", or the reference file they came from
    labels: str = ""  # what classifier_accuracy compares with (none: not measured)

    def as_dict(self) -> dict[str, object]:
        return {key: value for key, value in asdict(self).items() if key != "labels" or value}


def gaussian(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    statistics = GaussianStatistics(features.shape[1])
    statistics.update(torch.from_numpy(features))
    return statistics.compute()


def joint_class(probabilities: np.ndarray) -> np.ndarray:
    """Mode index of each sample: the argmax class of each channel read as digits base K: [N]."""
    classes = probabilities.argmax(axis=2)  # [N, copies]
    k = probabilities.shape[2]
    return (classes * k ** np.arange(classes.shape[1])[::-1]).sum(axis=1)


def joint_probabilities(probabilities: np.ndarray) -> np.ndarray:
    """p(y1, ..., yc | x) = prod_c p(y_c | x_c): [N, K^copies] (channels are classified independently)."""
    joint = probabilities[:, 0, :]
    for channel in range(1, probabilities.shape[1]):
        joint = (joint[:, :, None] * probabilities[:, channel, None, :]).reshape(len(joint), -1)
    return joint


def class_modes(probabilities: np.ndarray) -> tuple[int, int, float]:
    """(modes with >= 1 sample, total modes K^copies, KL(p_hat || uniform)) by argmax class (Stacked MNIST protocol)."""
    total = probabilities.shape[2] ** probabilities.shape[1]
    counts = np.bincount(joint_class(probabilities), minlength=total).astype(np.float64)
    p_hat = counts / counts.sum()
    nonzero = p_hat > 0
    return int(nonzero.sum()), total, float((p_hat[nonzero] * np.log(p_hat[nonzero] * total)).sum())


def _fid(fake: FeatureSet, real: FeatureSet) -> dict[str, float]:
    return {f"fid_{fake.count}": frechet_distance(*fake.gaussian(), *real.gaussian())}


def _kid(fake: FeatureSet, real: FeatureSet) -> dict[str, float]:
    n, size = fake.count, min(KID_SUBSET_SIZE, fake.count, real.count)
    rng = np.random.default_rng(KID_SEED)
    mean, std = kernel_inception_distance(
        real.all_features("KID"), fake.features, subsets=KID_SUBSETS, subset_size=size, rng=rng
    )
    return {f"kid_{n}": mean, f"kid_std_{n}": std}


def _precision_recall(fake: FeatureSet, real: FeatureSet) -> dict[str, float]:
    precision, recall = precision_recall(real.all_features("precision/recall"), fake.features, k=PR_NEIGHBOURS)
    return {f"precision_{fake.count}": precision, f"recall_{fake.count}": recall}


def _inception_score(fake: FeatureSet, real: FeatureSet) -> dict[str, float]:
    assert fake.probabilities is not None
    mean, std = inception_score(joint_probabilities(fake.probabilities), splits=IS_SPLITS)
    return {f"is_{fake.count}": mean, f"is_std_{fake.count}": std}


def _modes(fake: FeatureSet, real: FeatureSet) -> dict[str, float]:
    assert fake.probabilities is not None
    modes, total, kl = class_modes(fake.probabilities)
    return {f"modes_{fake.count}": float(modes), "total_modes": float(total), f"reverse_kl_{fake.count}": kl}


def _accuracy(fake: FeatureSet, real: FeatureSet) -> dict[str, float]:
    """The extractor's argmax class against each generated image's label: the accuracy within each class and
    their mean (`classifier_accuracy_N`); nothing where the labels are unknown or not among the extractor's classes,
    or the images are stacked."""
    assert fake.probabilities is not None
    if fake.labels is None or fake.probabilities.shape[1] != 1 or fake.labels.max() >= fake.probabilities.shape[2]:
        return {}
    n, predicted = fake.count, fake.probabilities[:, 0, :].argmax(axis=1)
    per_class = {int(c): float((predicted[fake.labels == c] == c).mean()) for c in np.unique(fake.labels)}
    return {f"classifier_accuracy_{n}": float(np.mean(list(per_class.values())))} | {
        f"classifier_accuracy_class{c}_{n}": accuracy for c, accuracy in per_class.items()
    }


@dataclass(frozen=True)
class ImageMetric:
    """An image metric as `eval.metrics` names it: `compute(fake, real)` gives its named numbers."""

    name: str
    description: str
    compute: Callable[[FeatureSet, FeatureSet], dict[str, float]]
    needs: str  # what it reads of a set (STATISTICS, ROWS or PROBABILITIES): all that metrics/summary.py keeps;
    # a metric of PROBABILITIES is skipped when the extractor has no classifier head


IMAGE_METRICS: Parts[ImageMetric] = Parts("eval.metrics", [
    ImageMetric(
        "fid", "Frechet distance between Gaussians fitted to extractor features (n-1 covariance)", _fid, STATISTICS
    ),
    ImageMetric("kid", "unbiased MMD^2 with the cubic polynomial kernel, mean over 100 subsets", _kid, ROWS),
    ImageMetric(
        "pr", "precision and recall of k=3 nearest-neighbour manifolds (Kynkaanniemi et al. 2019)", _precision_recall,
        ROWS,
    ),
    ImageMetric(
        "is",
        "Inception Score exp(E KL(p(y|x) || p(y))), 10 splits, on the extractor's class probabilities",
        _inception_score,
        PROBABILITIES,
    ),
    ImageMetric(
        "modes",
        "modes captured and reverse KL by the extractor's classes (per channel for stacked data)",
        _modes,
        PROBABILITIES,
    ),
    ImageMetric(
        "accuracy",
        "classifier_accuracy: the extractor's class of each generated image against the class it was made for, "
        "per class and their mean (a conditional run; for an unconditional one, against assigned labels: chance)",
        _accuracy,
        PROBABILITIES,
    ),
])


def image_metrics(fake: FeatureSet, real: FeatureSet, metrics: tuple[str, ...]) -> dict[str, float]:
    """The requested metrics of `fake` against `real`; names carry the number of generated samples."""
    result: dict[str, float] = {}
    for metric in IMAGE_METRICS.values():  # the table's order, whatever the request's
        if metric.name in metrics and (fake.probabilities is not None or metric.needs != PROBABILITIES):
            result |= metric.compute(fake, real)
    return result


def image_headline(metrics: dict[str, float]) -> str:
    """One line: FID, KID, IS, precision/recall, modes."""
    shown = {
        "fid_": "FID {:.3f}",
        "kid_": "KID {:.4f}",
        "is_": "IS {:.2f}",
        "precision_": "P {:.3f}",
        "recall_": "R {:.3f}",
        "reverse_kl_": "KL {:.3f}",
        "classifier_accuracy_": "accuracy {:.3f}",
    }
    parts = []
    for key, value in metrics.items():
        if key.startswith("modes_"):
            parts.append(f"modes {value:.0f}/{metrics['total_modes']:.0f}")
        for prefix, template in shown.items():
            if key.startswith(prefix) and "_std_" not in key and "_class" not in key and not math.isnan(value):
                parts.append(template.format(value))
    return "  ".join(parts)


def stacked_features(
    extract: Callable[[Tensor], tuple[Tensor, Tensor | None]], images: Tensor
) -> tuple[Tensor, np.ndarray | None]:
    """Run a per-channel extractor on each channel: features [N, copies * D] (the channels' side by side) and
    probabilities [N, copies, K] (one distribution per channel), or None."""
    features, probabilities = [], []
    for channel in range(images.shape[1]):
        f, p = extract(images[:, channel : channel + 1])
        features.append(f)
        probabilities.append(p)
    stacked_probabilities = None if probabilities[0] is None else np.stack([p.numpy() for p in probabilities], 1)
    return torch.cat(features, dim=1), stacked_probabilities
