"""`wganlab evaluate`: measure a run's checkpoint, or a file or folder of generated images against real data."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from wganlab import config as configuration
from wganlab import rundir
from wganlab.data.datasets import build_dataset
from wganlab.data.images import load_images
from wganlab.errors import UserError
from wganlab.metrics.images import image_metrics
from wganlab.objectives.losses import mean_difference
from wganlab.training.checkpoint import load_snapshot
from wganlab.training.evaluation import ImageEvaluator, build_evaluator
from wganlab.training.streams import EVALUATION, step_seed
from wganlab.training.validation import validate, validate_measurement

Report = tuple[str, str, dict[str, float]]  # (title, headline, metrics)


def is_samples(target: Path) -> bool:
    """A .npy/.npz file, or a folder that is not a run folder (no config.json, no checkpoints/)."""
    if target.is_file():
        return target.suffix in (".npy", ".npz")
    return target.is_dir() and not rundir.is_run(target) and not (target / rundir.CHECKPOINTS).exists()


def evaluate_checkpoint(target: Path, values: Mapping[str, Any]) -> Report:
    """The run's evaluation of its checkpoint, with `values` ({"eval.metrics": ...}) changing how it measures."""
    snapshot = load_snapshot(target)
    config = configuration.with_values(snapshot.config, values)
    validate(config)
    evaluator = build_evaluator(config, snapshot.dataset, snapshot.objective.estimate)
    snapshot.critic.eval()
    measurement = evaluator.measure(
        snapshot.sampler, snapshot.critic, seed=step_seed(config.train.seed, snapshot.step, EVALUATION)
    )
    return f"{snapshot.folder} at step {snapshot.step}", evaluator.headline(measurement.metrics), measurement.metrics


def evaluate_samples(target: Path, values: Mapping[str, Any]) -> Report:
    """Image metrics of generated images read from `target` (npz or folder) against the real data in `values`."""
    config = configuration.with_values(configuration.load(), values)
    validate_measurement(config)
    dataset = build_dataset(config.data, config.train.seed)
    evaluator = build_evaluator(config, dataset, estimate=mean_difference)
    if not isinstance(evaluator, ImageEvaluator):
        raise UserError(f"{config.data.name} is 2-D data; evaluate compares generated images with image data")
    if evaluator.extractor_name is None:
        raise UserError(f"no feature extractor for {config.data.name}: pass --extractor (and --extractor-weights)")
    kind = "npz" if target.is_file() else "folder"
    fake = load_images(kind, target).images
    if fake.shape[1:] != tuple(dataset.shape):
        raise UserError(f"the samples in {target} are {tuple(fake.shape[1:])}, the real data {tuple(dataset.shape)}")
    metrics = image_metrics(evaluator.features(fake), evaluator.real(), config.eval.metrics)
    return (
        f"{target}: {len(fake)} samples against {config.data.name} ({config.data.split})",
        evaluator.headline(metrics),
        metrics,
    )
