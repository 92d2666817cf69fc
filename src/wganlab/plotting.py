"""matplotlib's pyplot with the file-only Agg backend, chosen once for the whole package.

Every module that draws imports `pyplot` from here, so figures render the same on a machine without a
screen (CI, a GPU node) and no module has to remember to pick the backend before pyplot is imported.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from matplotlib import pyplot  # noqa: E402  (after the backend is chosen)

__all__ = ["pyplot"]
