"""`wganlab stats`: the real data's features under an extractor, computed once and kept in a file that
`wganlab evaluate --reference FILE` measures against, in place of the data set.

A reference keeps the features' mean and covariance (enough for FID) and, with --features, every feature
(for KID and precision/recall); with it, the extractor's name and weights, the image count and the data.

The published statistics of pytorch-fid and of TTUR (the official TensorFlow FID code: 'mu' and 'sigma' of
Inception's features, metrics/published.py) are read too, for FID alone, and `wganlab stats --format pytorch-fid`
writes them.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from wganlab import config as configuration
from wganlab.config_values import shown_value
from wganlab.data.datasets import build_dataset, is_image
from wganlab.data.images import ImageData
from wganlab.errors import UserError
from wganlab.files import NPZ_DAMAGE, refuse_to_replace, write_atomic
from wganlab.metrics.images import IMAGE_METRICS, ROWS, FeatureSet, read_stored
from wganlab.metrics.published import FORMAT as PUBLISHED
from wganlab.metrics.published import is_published, published_arrays, read_published
from wganlab.metrics.soundness import statistics_problem
from wganlab.metrics.summary import needs_of
from wganlab.models.shapes import sample_shape
from wganlab.objectives.losses import mean_difference
from wganlab.training.evaluation import ImageEvaluator, build_evaluator, choose_extractor
from wganlab.training.validation import validate_measurement

FORMAT = "wganlab-reference-1"
INCEPTIONS = ("inception", "inception-v3-compat")  # the extractors whose features such a file holds


def image_evaluator(values: Mapping[str, Any], dataset: ImageData | None = None) -> ImageEvaluator:
    """The evaluator of the default config with `values` (data.*, eval.*): image data (built from data.*, unless
    `dataset` is given) and an extractor."""
    config = configuration.with_values(configuration.load(), values)
    validate_measurement(config)
    if not is_image(config.data.name):
        raise UserError(f"{config.data.name} is 2-D data; image metrics compare images")
    choice = choose_extractor(config)  # "auto": the data's own classifier, else Inception where it can be had
    if choice.name is None:
        raise UserError(f"no feature extractor for {config.data.name}: {choice.reason}; or pass --extractor")
    config = configuration.with_values(config, {"eval.extractor": choice.name})
    data = dataset if dataset is not None else build_dataset(config.data, config.train.seed)
    evaluator = build_evaluator(config, data, mean_difference)
    assert isinstance(evaluator, ImageEvaluator)  # image data
    if evaluator.extractor_name is None:  # eval.metrics empty
        raise UserError("no image metrics asked for: name them with --metrics (e.g. fid,kid,is)")
    return evaluator


def write_reference(values: Mapping[str, Any], out: Path, keep_features: bool,
                    force: bool = False, published: bool = False) -> tuple[ImageEvaluator, FeatureSet]:
    """Compute the real features of the data in `values` and write the reference file `out` (.npz; an existing
    one replaced only with `force`), ours or (`published`) pytorch-fid's; returns the evaluator and the features."""
    if out.suffix != ".npz":
        raise UserError(f"--out {out} must be a .npz file")
    if published and keep_features:
        raise UserError("the pytorch-fid format holds FID's mean and covariance alone: drop --features (or write "
                        "wganlab's format, which keeps them)")
    refuse_to_replace(out, force)
    evaluator = image_evaluator(values)
    if published and evaluator.extractor_name not in INCEPTIONS:
        raise UserError(f"the pytorch-fid format holds Inception statistics, and the extractor is "
                        f"{evaluator.extractor_name}: pass --extractor inception")
    if len(evaluator.dataset) < 2:
        raise UserError(f"{evaluator.real_label()} has {len(evaluator.dataset)} image: a covariance needs at least 2")
    real = evaluator.real_features(rows=keep_features)
    mean, covariance = real.gaussian()
    if (problem := statistics_problem(mean, covariance, None, real.count)) is not None:  # e.g. identical images
        raise UserError(f"the features of {evaluator.real_label()} make no reference: {problem}")
    if published:  # float64, as pytorch-fid's own (np.cov)
        write_atomic(out, lambda stream: np.savez(stream, **published_arrays(mean, covariance)))
        return evaluator, real
    about = {"format": FORMAT, "extractor": evaluator.extractor.name, "weights": evaluator.extractor.weights_id,
             "count": real.count, "real": evaluator.real_label(), "shape": list(evaluator.dataset.shape)}
    arrays: dict[str, np.ndarray] = {"mean": mean, "covariance": covariance, "about": np.array(json.dumps(about))}
    if keep_features:
        arrays["features"] = real.all_features("a reference")
    write_atomic(out, lambda stream: np.savez(stream, **arrays))
    return evaluator, real


def use_reference(evaluator: ImageEvaluator, path: Path) -> None:
    """Measure against the reference file `path` (see `adopt_reference`), its feature rows read only when the
    evaluator's metrics need them."""
    rows = ROWS in needs_of(evaluator.config.eval.metrics)
    adopt_reference(evaluator, *read_reference(path, rows), path)


def adopt_reference(evaluator: ImageEvaluator, real: FeatureSet, about: dict[str, Any], path: Path,
                    alone: bool = False) -> None:
    """Measure against the features `real` that `read_reference` read from `path`, with what it says of them in
    `about`: its extractor and weights must be the evaluator's, and the images it was made of the shape of the
    evaluator's (`alone`: the evaluator's data are the generated images themselves, so the reference must say the
    shape of its own); the evaluator's metrics must need no more than it keeps."""
    if about["format"] == PUBLISHED:
        if evaluator.extractor_name not in INCEPTIONS:
            raise UserError(f"{path} holds Inception statistics (pytorch-fid/TTUR 'mu' and 'sigma'), and this "
                            f"evaluation's extractor is {evaluator.extractor_name}: measure with --extractor inception")
    else:
        _check_made_alike(evaluator, about, path, alone)
    refuse_rows(evaluator.config.eval.metrics, real, about, path)
    dims = real.gaussian()[0].shape[0]
    if dims != evaluator.feature_dim:
        raise UserError(f"{path} holds features of {dims} dimensions, and {evaluator.extractor.name} makes "
                        f"{evaluator.feature_dim} of these images: make the reference again with `wganlab stats`")
    evaluator.use_reference(real, f"reference {path.name}: {about['real']}")


def refuse_rows(metrics: tuple[str, ...], real: FeatureSet, about: dict[str, Any], path: Path) -> None:
    """One line when `metrics` need every real feature (KID, precision/recall) and the reference keeps only FID's
    statistics: said before any image is read or featurised."""
    rows = [name for name in metrics if IMAGE_METRICS[name].needs == ROWS]
    if real.features is None and rows:
        kept = "pytorch-fid/TTUR statistics" if about["format"] == PUBLISHED else "made without --features"
        need = "needs" if len(rows) == 1 else "need"
        raise UserError(f"{path} keeps only FID's mean and covariance ({kept}), and {' and '.join(rows)} {need} every "
                        "real feature: measure with --metrics fid (is and modes need no real features), or make a "
                        "reference with `wganlab stats --features`")


def _check_made_alike(evaluator: ImageEvaluator, about: dict[str, Any], path: Path, alone: bool) -> None:
    """A `wganlab stats` file's images of the evaluator's shape, its features of the evaluator's extractor."""
    shape = about.get("shape")
    if shape is None and alone:
        raise UserError(f"{path} does not say the shape of its images (made before references did): give the real "
                        "data too (--data), or make the reference again with `wganlab stats`")
    if shape is not None and tuple(shape) != tuple(evaluator.dataset.shape):
        raise UserError(f"{path} holds features of images of shape {tuple(shape)}, and these are "
                        f"{tuple(evaluator.dataset.shape)}: FID across sizes is not comparable; make a reference "
                        "of images of this size (wganlab stats --resize)")
    extractor = evaluator.extractor
    if (about["extractor"], about["weights"]) != (extractor.name, extractor.weights_id):
        raise UserError(
            f"{path} holds features of {about['extractor']} (weights {about['weights']}), not of {extractor.name} "
            f"(weights {extractor.weights_id}): numbers from different extractors are not comparable"
        )


def read_reference(path: Path, rows: bool = True) -> tuple[FeatureSet, dict[str, Any]]:
    """The real features a reference file holds (its feature rows only with `rows`: FID needs the statistics
    alone, and the rows of 50k images are 400 MB), and what it says about them. Nothing is computed from a file
    that fails a check (metrics/soundness.py) of what is read: a bad file is a one-line error naming what is
    wrong."""
    def refuse(problem: str) -> UserError:
        return UserError(f"{path} cannot be measured against: {problem}; make it again with `wganlab stats`")

    try:
        stored = read_stored(path, rows)
    except NPZ_DAMAGE as error:
        raise UserError(f"{path} is not a reference file written by `wganlab stats` ({error})") from None
    if is_published(stored.names):
        return read_published(path)
    if "about" not in stored.names:
        raise UserError(f"{path} is not a reference file written by `wganlab stats` (no 'about' record), nor "
                        "pytorch-fid's or TTUR's statistics ('mu' and 'sigma')")
    if not {"mean", "covariance"} <= stored.names:
        raise refuse(f"it holds {sorted(stored.names)}, without 'mean' and 'covariance'")
    about = stored.about
    if not isinstance(about, dict) or about.get("format") != FORMAT:
        raise UserError(f"{path} is not a reference file written by `wganlab stats` (no {FORMAT!r} marker)")
    for name in ("extractor", "weights", "real"):
        if not isinstance(about.get(name), str) or not about[name]:
            raise refuse(f"its '{name}' is {shown_value(about.get(name))}, not a name")
    shape = about.get("shape")
    sides = sample_shape(shape)
    if shape is not None and (sides is None or len(sides) != 3 or max(sides) > 2**31):
        raise refuse(f"its 'shape' is {shown_value(shape)}, not the three sides of its images")
    real = stored.feature_set(about.get("count"))
    if isinstance(real, str):
        raise refuse(real)
    return real, about


def stats_command(args: argparse.Namespace) -> int:
    """`wganlab stats`: the real data's features written to a reference file."""
    values = {"data.name": args.data, "data.root": args.root, "data.split": args.split, "data.stack": args.stack,
              "data.crop": args.crop, "data.resize": args.resize, "data.resize_filter": args.resize_filter,
              "data.pad_to": args.pad_to, "eval.extractor": args.extractor,
              "eval.extractor_weights": args.extractor_weights or ""}
    published = args.format == PUBLISHED
    evaluator, real = write_reference(values, args.out, args.features, args.force, published)
    extractor = evaluator.extractor
    kept = ", pytorch-fid's format (mu, sigma)" if published else ", every feature kept" if args.features else ""
    print(f"wrote {args.out}: {real.count} images of {evaluator.real_label()}, {extractor.name} features "
          f"(weights {extractor.weights_id}){kept}")
    return 0
