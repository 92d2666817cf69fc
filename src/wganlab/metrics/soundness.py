"""Whether stored feature statistics can be measured against: a reference file's or a cache entry's mean,
covariance and feature rows, checked before any number is computed from them.

FID reads a mean and a covariance. A NaN in either gives FID nan; a covariance that is not symmetric positive
semi-definite (a negative one, one of zeros) gives a number that means nothing; both without a word. The checks,
with their tolerances:
- shapes that agree: a mean [D], a covariance [D, D], rows [count, D], all floating point;
- every value finite;
- symmetric: |C - C^T| <= SYMMETRY x max |C|, everywhere;
- some variation: trace C > 0;
- positive semi-definite: no eigenvalue below -PSD x (trace C / D), the mean variance (tested as a Cholesky
  factorisation of C + PSD x (trace C / D) x I, a third of an eigendecomposition's cost). Rounding leaves a
  rank-deficient covariance (fewer images than dimensions) eigenvalues near -1e-16 of that in float64, near
  -1e-7 in a float32 copy: far inside the tolerance; a damaged or made-up one is far outside it.
"""

from __future__ import annotations

import numpy as np

from wganlab.metrics.arrays import all_finite

SYMMETRY = 1e-6
PSD = 1e-5


def _floating(name: str, array: np.ndarray) -> str | None:
    if not isinstance(array, np.ndarray) or not np.issubdtype(array.dtype, np.floating):
        kind = array.dtype if isinstance(array, np.ndarray) else type(array).__name__
        return f"its {name} is {kind}, not floating point"
    return None


def statistics_problem(mean: np.ndarray, covariance: np.ndarray, features: np.ndarray | None,
                       count: object, counted: bool = True) -> str | None:
    """What is wrong with these statistics (a phrase: "its covariance is not symmetric ..."), or None when FID,
    KID and precision/recall can be computed from them. `count` is the image count they claim (as read: it may
    be missing, None, or not a number); not `counted`: the format records none (pytorch-fid's), nor rows."""
    for name, array in (("mean", mean), ("covariance", covariance), ("feature rows", features)):
        if array is not None and (problem := _floating(name, array)) is not None:
            return problem
    if mean.ndim != 1 or mean.size == 0:
        return f"its mean has shape {list(mean.shape)}, not [D]"
    dims = mean.shape[0]
    if covariance.shape != (dims, dims):
        return f"its covariance has shape {list(covariance.shape)}, not [{dims}, {dims}] as its mean of {dims} values"
    if counted and (isinstance(count, bool) or not isinstance(count, int) or count < 2):
        return f"its image count is {count!r}, not a whole number of at least 2"
    if features is not None and features.shape != (count, dims):
        return f"its feature rows have shape {list(features.shape)}, not [{count}, {dims}]"
    for name, array in (("mean", mean), ("covariance", covariance), ("feature rows", features)):
        if array is not None and not all_finite(array):
            return f"its {name} hold{'s' if name != 'feature rows' else ''} NaN or infinite values"
    covariance = covariance.astype(np.float64, copy=False)
    largest = float(np.abs(covariance).max())
    if float(np.abs(covariance - covariance.T).max()) > SYMMETRY * largest:
        return f"its covariance is not symmetric (to {SYMMETRY:g} of its largest value)"
    variance = float(np.trace(covariance)) / dims
    if not variance > 0:
        return f"its covariance has trace {variance * dims:.3g}: no positive variance"
    try:
        np.linalg.cholesky(covariance + PSD * variance * np.eye(dims))
    except np.linalg.LinAlgError:
        return (f"its covariance is not positive semi-definite (an eigenvalue below -{PSD:g} times the mean "
                "variance)")
    return None
