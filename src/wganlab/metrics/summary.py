"""A set of images' features taken a batch at a time and kept only as its metrics need them, never the images.

FID needs the features' mean and covariance, accumulated in float64 as the batches come; KID and precision/recall
need every feature row, kept in the precision the extractor computes them in (float32 for Inception, float64 for
the small classifiers run in float64), in one array filled in place; IS and the mode count need every sample's
class probabilities. A summary knows its image count from the start, so nothing is concatenated or copied (but
once, on rank 0, to join a distributed run's shares).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
import torch
from torch import Tensor

from wganlab.metrics.frechet import GaussianStatistics
from wganlab.metrics.images import IMAGE_METRICS, PROBABILITIES, ROWS, STATISTICS, FeatureSet


def needs_of(metrics: Iterable[str]) -> frozenset[str]:
    """What the named metrics need of a set's features."""
    return frozenset(IMAGE_METRICS[name].needs for name in metrics if name in IMAGE_METRICS)


class FeatureSummary:
    """`count` images' features given batch by batch to `update`, in order; `result()` is their FeatureSet."""

    def __init__(self, count: int, needs: frozenset[str]) -> None:
        self.count, self.needs, self.filled = count, needs, 0
        self._statistics: GaussianStatistics | None = None
        self._rows: np.ndarray | None = None  # [count, D] in the extractor's precision
        self._probabilities: np.ndarray | None = None  # [count, copies, K]; None too when the extractor has no head

    def update(self, features: Tensor, probabilities: np.ndarray | None) -> None:
        """The next batch: features [n, D] and class probabilities [n, copies, K] (None: the extractor has none)."""
        rows, n = features.detach().cpu().numpy(), len(features)
        if self.filled + n > self.count:
            raise ValueError(f"a summary of {self.count} images was given {self.filled + n}")
        if STATISTICS in self.needs:
            self._statistics = self._statistics or GaussianStatistics(rows.shape[1])
            self._statistics.update(rows)
        if ROWS in self.needs:
            if self._rows is None:
                self._rows = np.empty((self.count, rows.shape[1]), dtype=rows.dtype)
            self._rows[self.filled : self.filled + n] = rows
        if PROBABILITIES in self.needs and probabilities is not None:
            if self._probabilities is None:
                self._probabilities = np.empty((self.count, *probabilities.shape[1:]), dtype=probabilities.dtype)
            self._probabilities[self.filled : self.filled + n] = probabilities
        self.filled += n

    def result(self) -> FeatureSet:
        """The set's FeatureSet: its statistics, rows and probabilities as far as they were asked for."""
        if self.filled != self.count:
            raise ValueError(f"a summary of {self.count} images was given {self.filled}")
        statistics = None if self._statistics is None else self._statistics.compute()
        return FeatureSet(self._rows, self._probabilities, statistics, self.count)

    @staticmethod
    def joined(parts: list[FeatureSummary]) -> FeatureSummary:
        """The summary of consecutive sets (a distributed run's ranks' shares, in rank order) as one."""
        if len(parts) == 1:
            return parts[0]  # one process: nothing to join, and nothing copied
        whole = FeatureSummary(sum(part.count for part in parts), parts[0].needs)
        for part in parts:
            if part._statistics is not None:
                whole._statistics = whole._statistics or GaussianStatistics(part._statistics.dim)
                whole._statistics.merge(part._statistics)
        whole._rows = _joined([part._rows for part in parts])
        whole._probabilities = _joined([part._probabilities for part in parts])
        whole.filled = whole.count
        return whole


def _joined(arrays: list[np.ndarray | None]) -> np.ndarray | None:
    present = [array for array in arrays if array is not None]
    return np.concatenate(present) if present else None


def rebatch(chunks: Iterable[Tensor], size: int) -> Iterator[Tensor]:
    """The images of consecutive chunks in consecutive batches of `size` (the last one smaller): however the
    images were produced, an extractor sees the same batches, so its results do not change by a rounding."""
    pending: list[Tensor] = []
    held = 0
    for chunk in chunks:
        pending.append(chunk)
        held += len(chunk)
        while held >= size:
            joined = torch.cat(pending) if len(pending) > 1 else pending[0]
            yield joined[:size]
            rest = joined[size:]
            pending, held = ([rest] if len(rest) else []), len(rest)
    if held:
        yield torch.cat(pending) if len(pending) > 1 else pending[0]
