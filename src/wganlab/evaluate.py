"""`wganlab evaluate`: measure a run's checkpoint, or a file or folder of generated images against real data."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from wganlab import config as configuration
from wganlab.data.images import load_images
from wganlab.errors import UserError
from wganlab.metrics.images import image_metrics
from wganlab.training import loop
from wganlab.training.build import build_dataset
from wganlab.training.evaluation import ImageEvaluator, build_evaluator


def is_samples(target: Path) -> bool:
    """A .npy/.npz file, or a folder that is not a run folder (no config.json, no checkpoints/)."""
    if target.is_file():
        return target.suffix in (".npy", ".npz")
    return target.is_dir() and not (target / "config.json").exists() and not (target / "checkpoints").exists()


def evaluate_checkpoint(target: Path, overrides: Sequence[str]) -> tuple[str, str, dict[str, float]]:
    folder, run, state = loop.load(target)
    if overrides:
        config = configuration.with_overrides(run.config, overrides)
        run = dataclasses.replace(
            run, config=config, evaluator=build_evaluator(config, run.dataset, run.objective.estimate)
        )
    metrics = loop.measure(run, state).metrics
    return f"{folder} at step {state.step}", loop.headline(run, metrics), metrics


def evaluate_samples(target: Path, data: dict[str, Any], overrides: Sequence[str]) -> tuple[str, str, dict[str, float]]:
    """Image metrics of generated images read from `target` (npz or folder) against the named real data."""
    config = configuration.load(overrides=[*(f"data.{k}={_toml(v)}" for k, v in data.items()), *overrides])
    dataset = build_dataset(config.data, config.train.seed)
    evaluator = build_evaluator(config, dataset, estimate=lambda real, fake: real.mean() - fake.mean())
    assert isinstance(evaluator, ImageEvaluator)
    if evaluator.extractor is None:
        raise UserError(f"no feature extractor for {config.data.name}: pass --extractor (and --extractor-weights)")
    kind = "npz" if target.is_file() else "folder"
    fake = load_images(kind, target).images
    if fake.shape[1:] != tuple(dataset.shape):
        raise UserError(f"the samples in {target} are {tuple(fake.shape[1:])}, the real data {tuple(dataset.shape)}")
    metrics = image_metrics(evaluator.features(fake), evaluator.real(), config.eval.metrics, seed=0)
    return (
        f"{target}: {len(fake)} samples against {config.data.name} ({config.data.split})",
        evaluator.headline(metrics),
        metrics,
    )


def _toml(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else str(value)
