"""Image metrics as objects for one's own training loop: `update(x, real=...)` batch by batch, then `compute()`.

`x` is a batch of images [N, C, H, W] in [-1, 1], featurised by the metric's extractor (built on the images'
device at the first batch), or of features [N, D] already extracted. Statistics are kept in float64 on the
CPU, whatever device the batches are on. The formulas are those `wganlab train` records (metrics/images.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from wganlab.errors import UserError
from wganlab.metrics.extractor import FeatureExtractor
from wganlab.metrics.features import EXTRACTORS
from wganlab.metrics.frechet import GaussianStatistics, frechet_distance
from wganlab.metrics.images import IS_SPLITS, KID_SEED, KID_SUBSET_SIZE, KID_SUBSETS, PR_NEIGHBOURS
from wganlab.metrics.inception_score import inception_score
from wganlab.metrics.kernel import kernel_inception_distance
from wganlab.metrics.precision_recall import precision_recall


class Featurizer:
    """Images -> (features, probabilities) with a named or given extractor; features pass through unchanged."""

    def __init__(self, extractor: str | FeatureExtractor | None = None, weights: str | Path | None = None):
        self._name, self._weights = extractor, weights
        self._extractor = extractor if isinstance(extractor, FeatureExtractor) else None

    def __call__(self, x: Tensor) -> tuple[Tensor, Tensor | None]:
        if x.dim() == 2:
            return x.detach().to("cpu", torch.float64), None
        if x.dim() != 4:
            raise UserError(f"give images [N, C, H, W] or features [N, D], got shape {tuple(x.shape)}")
        features, probabilities = self.extractor(x.device).extract(x.detach())
        return features.to("cpu", torch.float64), None if probabilities is None else probabilities.cpu().double()

    def extractor(self, device: torch.device) -> FeatureExtractor:
        if self._extractor is None:
            if not isinstance(self._name, str):
                raise UserError("images need an extractor (e.g. extractor=\"digits-classifier\"); or give features")
            self._extractor = EXTRACTORS.resolve(self._name, "extractor").make(self._weights, str(device))
        return self._extractor


class FID:
    """Frechet distance between Gaussians fitted (n - 1 covariance) to real and generated features."""

    def __init__(self, extractor: str | FeatureExtractor | None = None, weights: str | Path | None = None):
        self.featurize = Featurizer(extractor, weights)
        self.reset()

    def reset(self) -> None:
        self._sides: dict[bool, GaussianStatistics] = {}

    def update(self, x: Tensor, real: bool) -> None:
        features, _ = self.featurize(x)
        self._sides.setdefault(real, GaussianStatistics(features.shape[1])).update(features)

    def compute(self) -> float:
        if set(self._sides) != {True, False}:
            raise UserError("FID needs both real and generated batches: update(x, real=True) and real=False")
        (mean_real, cov_real), (mean_fake, cov_fake) = (self._sides[side].compute() for side in (True, False))
        return frechet_distance(mean_fake, cov_fake, mean_real, cov_real)


class _Collected:
    """Keeps every batch's features (and probabilities) per side: for metrics that need whole sets."""

    def __init__(self, extractor: str | FeatureExtractor | None = None, weights: str | Path | None = None):
        self.featurize = Featurizer(extractor, weights)
        self.reset()

    def reset(self) -> None:
        self._features: dict[bool, list[Tensor]] = {True: [], False: []}
        self._probabilities: list[Tensor] = []

    def update(self, x: Tensor, real: bool) -> None:
        features, probabilities = self.featurize(x)
        self._features[real].append(features)
        if not real and probabilities is not None:
            self._probabilities.append(probabilities)

    def sides(self) -> tuple[np.ndarray, np.ndarray]:
        if not self._features[True] or not self._features[False]:
            raise UserError(f"{type(self).__name__} needs both real and generated batches")
        return tuple(torch.cat(self._features[side]).numpy() for side in (True, False))  # type: ignore[return-value]


class KID(_Collected):
    """Unbiased MMD^2, cubic polynomial kernel, mean and std over 100 subsets of up to 1,000 (seed 0)."""

    def compute(self) -> tuple[float, float]:
        real, fake = self.sides()
        size = min(KID_SUBSET_SIZE, len(real), len(fake))
        rng = np.random.default_rng(KID_SEED)
        return kernel_inception_distance(real, fake, subsets=KID_SUBSETS, subset_size=size, rng=rng)


class PrecisionRecall(_Collected):
    """Improved precision and recall (Kynkaanniemi et al. 2019), k = 3 nearest-neighbour manifolds."""

    def compute(self) -> tuple[float, float]:
        real, fake = self.sides()
        return precision_recall(real, fake, k=PR_NEIGHBOURS)


class InceptionScore(_Collected):
    """exp(E KL(p(y|x) || p(y))) of generated images, 10 splits: mean and std; needs an extractor's classes."""

    def compute(self) -> tuple[float, float]:
        if not self._probabilities:
            raise UserError("InceptionScore needs generated images and an extractor with class probabilities")
        return inception_score(torch.cat(self._probabilities), splits=IS_SPLITS)
