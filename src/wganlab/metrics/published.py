"""The statistics files of pytorch-fid and TTUR (the official TensorFlow FID code): an .npz of 'mu' [2048] and
'sigma' [2048, 2048], the mean and covariance of Inception's pool3 features, and nothing else.

Such a file records no extractor, weights, image count or image size. Its features are taken to be the ones our
`inception` extractor makes (torch-fidelity's port of the same TensorFlow graph, with TensorFlow 1's resize, as
TTUR computed them; pytorch-fid's own files come from its slightly different resize, so FID against them differs
a little from FID against the images themselves), and it serves FID alone.

Reading checks each array's header before its data (a file claiming a huge or non-float array is refused without
allocating it), then the statistics as our own references are checked (metrics/soundness.py). Nothing is unpickled.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from wganlab.errors import UserError, one_line
from wganlab.files import NPZ_DAMAGE, npy_header, open_npz
from wganlab.metrics.images import FeatureSet
from wganlab.metrics.inception import INCEPTION_SIZES
from wganlab.metrics.soundness import statistics_problem

FORMAT = "pytorch-fid"
KEYS = ("mu", "sigma")
WIDTH = INCEPTION_SIZES[0]  # Inception's pool3 features
SHAPES = {"mu": (WIDTH,), "sigma": (WIDTH, WIDTH)}


def is_published(names: frozenset[str]) -> bool:
    """Whether an .npz holding these arrays is in this format (ours has an 'about' record)."""
    return set(KEYS) <= names and "about" not in names


def _header_problem(archive: zipfile.ZipFile, key: str) -> str | None:
    """What is wrong with array `key`'s shape or dtype, as its .npy header says (its data not read)."""
    shape, dtype = npy_header(archive, key)
    if not np.issubdtype(dtype, np.floating):
        return f"its {key} is {dtype}, not floating point"
    if shape != SHAPES[key]:
        return f"its {key} has shape {list(shape)}, not {list(SHAPES[key])} (Inception's pool3 features)"
    return None


def read_published(path: Path) -> tuple[FeatureSet, dict[str, Any]]:
    """The file's statistics, checked, as the FeatureSet of an unrecorded count (0), and what can be said of them
    (a reference's 'about' record: extractor "inception", count None); a file that fails a check is one line."""
    def refuse(problem: str) -> UserError:
        return UserError(f"{path} cannot be measured against: {problem} (pytorch-fid's and TTUR's statistics are "
                         f"'mu' [{WIDTH}] and 'sigma' [{WIDTH}, {WIDTH}] in float)")

    try:
        with zipfile.ZipFile(path) as archive:
            problem = next(filter(None, (_header_problem(archive, key) for key in KEYS)), None)
        if problem is not None:
            raise refuse(problem)
        with open_npz(path) as saved:
            mean, covariance = saved["mu"], saved["sigma"]
    except (*NPZ_DAMAGE, KeyError) as error:  # KeyError: a member not named as numpy names them
        raise refuse(f"it cannot be read ({one_line(error, limit=200) or type(error).__name__})") from None
    problem = statistics_problem(mean, covariance, None, None, counted=False)
    if problem is not None:
        raise refuse(problem.replace("its mean", "its mu").replace("its covariance", "its sigma"))
    about = {"format": FORMAT, "extractor": "inception", "weights": "not recorded", "count": None,
             "real": f"{path.name}, pytorch-fid/TTUR statistics (image count not recorded)"}
    statistics = (mean.astype(np.float64), covariance.astype(np.float64))
    return FeatureSet(None, None, statistics, 0), about


def published_arrays(mean: np.ndarray, covariance: np.ndarray) -> dict[str, np.ndarray]:
    """What a file of this format holds: 'mu' and 'sigma' in float64 (as pytorch-fid's np.cov)."""
    return {"mu": mean.astype(np.float64), "sigma": covariance.astype(np.float64)}
