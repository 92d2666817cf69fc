"""`wganlab evaluate`: measure a run's checkpoint, or a file or folder of generated images against real data."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from wganlab import config as configuration
from wganlab import rundir
from wganlab.data.images import load_images
from wganlab.errors import UserError
from wganlab.metrics.images import ROWS, image_metrics
from wganlab.metrics.summary import needs_of
from wganlab.reference import adopt_reference, image_evaluator, read_reference, refuse_rows, use_reference
from wganlab.training.evaluation import STORED_CHUNK, ImageEvaluator, build_evaluator, choose_extractor
from wganlab.training.snapshot import load_snapshot
from wganlab.training.streams import EVALUATION, step_seed
from wganlab.training.validation import validate

Report = tuple[str, str, dict[str, float]]  # (title, headline, metrics)


def is_samples(target: Path) -> bool:
    """A .npy/.npz file, or a folder that is not a run folder (no config.json, no checkpoints/)."""
    if target.is_file():
        return target.suffix in (".npy", ".npz")
    return target.is_dir() and not rundir.is_run(target) and not (target / rundir.CHECKPOINTS).exists()


def evaluate_checkpoint(
    target: Path, values: Mapping[str, Any], reference: Path | None = None, data_root: str | None = None
) -> Report:
    """The run's evaluation of its checkpoint, with `values` ({"eval.metrics": ...}) changing how it measures,
    image metrics against a `wganlab stats` file when `reference` is given, the training data read from
    `data_root` when given (it moved)."""
    snapshot = load_snapshot(target, data_root)
    config = configuration.with_values(snapshot.config, values)
    validate(config)
    evaluator = build_evaluator(config, snapshot.dataset, snapshot.objective.estimate)
    if isinstance(evaluator, ImageEvaluator) and evaluator.extractor_name is None and config.eval.metrics:
        raise UserError(f"no image metrics for {target}: {choose_extractor(config).reason}; or pass --extractor")
    if reference is not None:
        if not isinstance(evaluator, ImageEvaluator) or evaluator.extractor_name is None:
            raise UserError("--reference holds image features: it applies to image runs with an extractor")
        use_reference(evaluator, reference)
    snapshot.critic.eval()
    measurement = evaluator.measure(
        snapshot.sampler, snapshot.critic, seed=step_seed(config.train.seed, snapshot.step, EVALUATION)
    )
    return f"{snapshot.folder} at step {snapshot.step}", evaluator.headline(measurement.metrics), measurement.metrics


def evaluate_samples(target: Path, values: Mapping[str, Any], reference: Path | None = None) -> Report:
    """Image metrics of generated images read from `target` (npz or folder) against the real data in `values`
    (data.*), or against the `wganlab stats` file `reference`, which then needs no data (its extractor is the
    file's unless eval.extractor is given)."""
    kind = "npz" if target.is_file() else "folder"
    alone = "data.name" not in values  # no real data named: the reference is the real side, and names the extractor
    if alone:
        if reference is None:
            raise UserError(f"{target} holds samples: name the real data to compare with (e.g. --data digits) or "
                            "give a reference made by `wganlab stats` (--reference FILE.npz)")
        if not reference.is_file():
            raise UserError(f"reference file {reference} does not exist; make one with `wganlab stats`")
        if values.get("data.stack", 1) != 1:
            raise UserError("stacked samples (--stack 3) are measured per channel: name their real data (--data)")
        # the feature rows (400 MB for 50k images) read only for the metrics that need them, as use_reference
        requested = configuration.with_values(configuration.load(), values).eval.metrics
        real, about = read_reference(reference, rows=ROWS in needs_of(requested))
        refuse_rows(requested, real, about, reference)  # before a single sample is read
    fake = load_images(kind, target, cache=False)  # generated images are read once: no cache entry for them
    if alone:
        own = {"data.name": kind, "data.root": str(target), "eval.extractor": about["extractor"]} | dict(values)
        evaluator = image_evaluator(own, dataset=fake)
        adopt_reference(evaluator, real, about, reference, alone=True)
    else:
        evaluator = image_evaluator(values)
        if reference is not None:
            use_reference(evaluator, reference)
    if fake.shape != tuple(evaluator.dataset.shape):
        shape = tuple(evaluator.dataset.shape)
        raise UserError(f"the samples in {target} are {fake.shape}, the real data {shape}")
    requested = evaluator.config.eval.metrics
    features = evaluator.summarise(fake.chunks(STORED_CHUNK), len(fake), needs_of(requested)).result()
    metrics = image_metrics(features, evaluator.real(), requested)
    return f"{target}: {len(fake)} samples against {evaluator.real_label()}", evaluator.headline(metrics), metrics


def evaluate_command(args: argparse.Namespace) -> int:
    """`wganlab evaluate TARGET`: a checkpoint measured as its run measures it, or samples against real data."""
    given = {
        "eval.metrics": args.metrics,
        "eval.image_samples": args.samples,
        "eval.extractor": args.extractor,
        "eval.extractor_weights": args.extractor_weights,
    }
    values = {key: value for key, value in given.items() if value is not None}
    if not args.data and (args.root is not None or args.split is not None):
        raise UserError("--root and --split say where and which the real data named by --data are: give --data "
                        "too, or drop them (a run's own data that moved: --set data.root=DIR)")
    if is_samples(args.target):
        if args.data_root is not None:
            raise UserError(f"{args.target} holds samples: --set data.root applies to a run; name the real data to "
                            "compare with by --data and --root")
        data = {"data.name": args.data, "data.root": "" if args.root is None else args.root,
                "data.split": "train" if args.split is None else args.split} if args.data else {}
        title, headline, metrics = evaluate_samples(args.target, data | {"data.stack": args.stack or 1} | values,
                                                    args.reference)
    elif args.data or args.stack is not None:
        raise UserError(f"{args.target} is a run: it is measured against its own data, which --data and --stack do "
                        "not change; drop them (its data moved: --set data.root=DIR; other real data: --reference)")
    else:
        title, headline, metrics = evaluate_checkpoint(args.target, values, args.reference, args.data_root)
    print(title)
    print(metric_lines(headline, metrics, None))
    return 0


def metric_lines(headline: str, metrics: dict[str, float], steps_per_second: float | None) -> str:
    """The headline, then each metric on its own line (and the training speed when given), as the commands print
    them."""
    lines = [headline] + [f"  {key} = {value:.6g}" for key, value in metrics.items()]
    if steps_per_second is not None:
        lines.append(f"  generator_steps_per_second = {steps_per_second:.2f}")
    return "\n".join(lines)
