"""Image metrics on extractor features: FID, KID, IS, precision/recall and class modes, in one place.

Names carry the generated-sample count (`fid_2000`); the extractor, its weights and the real count are
recorded beside them as the protocol (see `Protocol`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import Tensor

from wganlab.metrics.frechet import GaussianStatistics, frechet_distance
from wganlab.metrics.inception_score import inception_score
from wganlab.metrics.kernel import kernel_inception_distance
from wganlab.metrics.precision_recall import precision_recall

KID_SUBSETS, KID_SUBSET_SIZE, PR_NEIGHBOURS, IS_SPLITS = 100, 1000, 3, 10


@dataclass(frozen=True)
class FeatureSet:
    """Features of a set of images, with class probabilities when the extractor has a classifier head."""

    features: np.ndarray  # [N, D] float64
    probabilities: np.ndarray | None  # [N, copies, K] float64: one distribution per channel (copies = 1 unstacked)

    @property
    def count(self) -> int:
        return int(self.features.shape[0])


@dataclass(frozen=True)
class Protocol:
    extractor: str
    weights: str
    fake_samples: int
    real_samples: int

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


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


def image_metrics(fake: FeatureSet, real: FeatureSet, metrics: tuple[str, ...], seed: int) -> dict[str, float]:
    """The requested metrics of `fake` against `real`; names carry the number of generated samples."""
    n = fake.count
    result: dict[str, float] = {}
    if "fid" in metrics:
        result[f"fid_{n}"] = frechet_distance(*gaussian(fake.features), *gaussian(real.features))
    if "kid" in metrics:
        size = min(KID_SUBSET_SIZE, n, real.count)
        mean, std = kernel_inception_distance(
            real.features, fake.features, subsets=KID_SUBSETS, subset_size=size, rng=np.random.default_rng(seed)
        )
        result |= {f"kid_{n}": mean, f"kid_std_{n}": std}
    if "pr" in metrics:
        precision, recall = precision_recall(real.features, fake.features, k=PR_NEIGHBOURS)
        result |= {f"precision_{n}": precision, f"recall_{n}": recall}
    if fake.probabilities is not None and "is" in metrics:
        mean, std = inception_score(joint_probabilities(fake.probabilities), splits=IS_SPLITS)
        result |= {f"is_{n}": mean, f"is_std_{n}": std}
    if fake.probabilities is not None and "modes" in metrics:
        modes, total, kl = class_modes(fake.probabilities)
        result |= {f"modes_{n}": float(modes), "total_modes": float(total), f"reverse_kl_{n}": kl}
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
    }
    parts = []
    for key, value in metrics.items():
        if key.startswith("modes_"):
            parts.append(f"modes {value:.0f}/{metrics['total_modes']:.0f}")
        for prefix, template in shown.items():
            if key.startswith(prefix) and "_std_" not in key and not math.isnan(value):
                parts.append(template.format(value))
    return "  ".join(parts)


def stacked_features(extract, images: Tensor) -> FeatureSet:
    """Run a per-channel extractor on each channel; features are concatenated, probabilities kept per channel."""
    features, probabilities = [], []
    for channel in range(images.shape[1]):
        f, p = extract(images[:, channel : channel + 1])
        features.append(f)
        probabilities.append(p)
    stacked_probabilities = None if probabilities[0] is None else np.stack([p.numpy() for p in probabilities], 1)
    return FeatureSet(torch.cat(features, dim=1).numpy().astype(np.float64), stacked_probabilities)
