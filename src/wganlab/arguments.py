"""The `wganlab` command line: every command and its options (cli.py runs them).

A mistake on the command line is one line on stderr and exit code 2, as every other user error: the usage is
printed by --help only, and every number is parsed with its range, so nothing absurd reaches a command.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from wganlab.config import MAX_IMAGES, MAX_SIDE, MAX_STEPS, SEEDS
from wganlab.config_values import coerce, parse_overrides, shown_value
from wganlab.errors import ConfigError, one_line

_FORCE = "replace {what} if it exists (without --force no existing file is overwritten)"


class _Parser(argparse.ArgumentParser):
    """argparse's parser with its errors in one line (the usage block stays with --help)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"wganlab: error: {self.prog}: {one_line(message)}; see {self.prog} --help\n")


def whole(low: int, high: int) -> Callable[[str], int]:
    """An argument type: a whole number in [low, high], or argparse's one-line error saying what was wrong."""

    def parse(text: str) -> int:
        shown = shown_value(text)
        try:
            value = int(text)  # over 4,300 digits, a ValueError too
        except ValueError:
            raise argparse.ArgumentTypeError(f"{shown} is not a whole number (write 50000, not 5e4)") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{shown.strip(chr(39))} is not in [{low:,}, {high:,}]")
        return value

    return parse


def data_root_of(text: str) -> str | None:
    """DIR of `data.root=DIR` (quoted or not, as `--set` reads values), else None. A value that reads as no text
    (data.root=2024, a number) is the ConfigError a new run's `--set data.root=2024` is (`coerce`'s: quote it)."""
    try:
        parsed = parse_overrides([text])
    except ConfigError:
        return None
    value = parsed.get("data", {}).get("root")
    if parsed != {"data": {"root": value}}:
        return None
    value = coerce(value, str, "data.root", "--set")
    return value if value.strip() else None


def _data_root(text: str) -> str:
    """--set data.root=DIR: where a run's training data is now, the one value a command that reads a run may change."""
    try:
        value = data_root_of(text)
    except ConfigError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    if value is None:
        raise argparse.ArgumentTypeError(f"only data.root=DIR can be set here (where the run's training data is "
                                         f"now, a folder or file), got {shown_value(text)}")
    return value


def _add_data_root(command: argparse.ArgumentParser) -> None:
    command.add_argument("--set", dest="data_root", type=_data_root, metavar="data.root=DIR",
                         help="where the run's training data is now, when it moved (only if it is needed)")


def parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="wganlab", description="Train, diagnose and evaluate Wasserstein GANs.")
    commands = parser.add_subparsers(dest="command", required=True)
    for add in (_add_train, _add_sweep, _add_evaluate, _add_sample, _add_export, _add_classifier, _add_inspection,
                _add_claims):
        add(commands)
    commands.add_parser("list", help="list datasets, losses, penalties, constraints and presets")
    return parser


def _add_train(commands: argparse._SubParsersAction) -> None:
    train = commands.add_parser("train", help="train a GAN (default: the tuned WGAN-GP preset on the 25-mode grid)")
    train.add_argument("config", nargs="?", type=Path, help="a TOML config file")
    train.add_argument("--preset", help="a named recipe (see `wganlab list`)")
    train.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="override one config value, e.g. --set objective.penalty_weight=1",
    )
    train.add_argument("--steps", type=whole(1, MAX_STEPS), help="generator steps (also extends a resumed run)")
    train.add_argument("--resume", type=Path, metavar="RUN", help="continue a run folder or checkpoint file")
    train.add_argument("--outdir", type=Path, default=Path("runs"), help="where run folders go (default: runs)")
    train.add_argument("--dry-run", action="store_true", help="print the resolved config and exit")


def _add_sweep(commands: argparse._SubParsersAction) -> None:
    sweep = commands.add_parser(
        "sweep", help="train a grid of runs (config values x seeds) as few batched runs, each with its own run folder"
    )
    sweep.add_argument("config", nargs="?", type=Path, help="a TOML config file (the base every member changes)")
    sweep.add_argument("--preset", help="a named recipe (see `wganlab list`)")
    sweep.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE",
                       help="override one base config value")
    sweep.add_argument("--grid", action="append", default=[], metavar="SECTION.KEY=V1,V2,...",
                       help="sweep one config value, e.g. --grid objective.clip_value=0.1,0.01 (repeat for a product)")
    sweep.add_argument("--seeds", metavar="SEEDS", help="seeds per grid point: 0-3, 0,1,2 or 5 (default: the config's)")
    sweep.add_argument("--steps", type=whole(1, MAX_STEPS), help="generator steps of every member")
    sweep.add_argument("--outdir", type=Path, default=Path("runs"), help="where the sweep folder goes (default: runs)")
    sweep.add_argument("--dry-run", action="store_true", help="print the members and their groups, and exit")


def _add_evaluate(commands: argparse._SubParsersAction) -> None:
    evaluate = commands.add_parser(
        "evaluate", help="evaluate a run folder, a checkpoint, or a .npz/.npy file or folder of generated images"
    )
    evaluate.add_argument("target", type=Path, metavar="TARGET")
    evaluate.add_argument("--metrics", help="image metrics, comma-separated: fid,kid,is,pr,modes")
    evaluate.add_argument("--samples", type=whole(2, MAX_IMAGES),
                          help="generated images to draw from a run (eval.image_samples)")
    evaluate.add_argument("--extractor", help="feature extractor (see `wganlab list`)")
    evaluate.add_argument("--extractor-weights", help="weights file for the extractor")
    evaluate.add_argument("--data", help="real data to compare a samples file or folder against (e.g. digits)")
    evaluate.add_argument("--root", help="where the real data's files are (with --data)")
    evaluate.add_argument("--split", help="real data split, train (the default) or test (with --data)")
    evaluate.add_argument("--stack", type=int, choices=(1, 3),
                          help="3 for stacked data (samples have 3 channels; with --data or --reference)")
    evaluate.add_argument("--reference", type=Path,
                          help="real features from `wganlab stats` instead of the data (then --data is not needed)")
    _add_data_root(evaluate)
    stats = commands.add_parser("stats", help="the real data's features under an extractor, once, for --reference")
    stats.add_argument("data", help="image data: mnist, cifar10, folder, npz, digits, ...")
    stats.add_argument("--root", default="", help="where its files are")
    stats.add_argument("--split", default="train", help="train (the usual FID reference) or test")
    stats.add_argument("--stack", type=int, choices=(1, 3), default=1)
    stats.add_argument("--crop", action="store_true", help="centre crop to a square first (as data.crop)")
    stats.add_argument("--resize", type=whole(0, MAX_SIDE), default=0, help="as data.resize (use the training run's)")
    stats.add_argument("--resize-filter", default="bilinear", help="as data.resize_filter")
    stats.add_argument("--pad-to", type=whole(0, MAX_SIDE), default=0)
    stats.add_argument("--extractor", default="auto",
                       help="e.g. inception (standard FID); auto: the data's own classifier, else inception")
    stats.add_argument("--extractor-weights", help="weights file for the extractor")
    stats.add_argument("--out", type=Path, required=True, metavar="FILE.npz")
    stats.add_argument("--features", action="store_true", help="keep every feature too (for KID, precision/recall)")
    stats.add_argument("--format", choices=("wganlab", "pytorch-fid"), default="wganlab",
                       help="pytorch-fid: the mu/sigma .npz of pytorch-fid and TTUR (Inception, FID only)")
    stats.add_argument("--force", action="store_true", help=_FORCE.format(what="the --out file"))


def _add_sample(commands: argparse._SubParsersAction) -> None:
    sample = commands.add_parser("sample", help="write generated images of a run to a folder of PNGs or an .npz file")
    sample.add_argument("target", type=Path, metavar="RUN", help="a run folder (latest checkpoint) or a checkpoint")
    sample.add_argument("--count", type=whole(1, MAX_IMAGES), help="how many (default: the run's eval.image_samples)")
    sample.add_argument("--out", type=Path, help="a new folder (000000.png, ...) or a FILE.npz (uint8 [N, H, W, C])")
    sample.add_argument("--seed", type=whole(0, SEEDS - 1),
                        help="latent seed (default: the run's evaluation seed at that step)")
    sample.add_argument("--raw", action="store_true", help="the trained generator, not its EMA copy")
    sample.add_argument("--grid", type=Path, metavar="FILE.png", help="also a grid of the first 64")
    sample.add_argument("--force", action="store_true",
                        help=_FORCE.format(what="the --out .npz file and the --grid file") + " (never a folder)")
    _add_data_root(sample)


def _add_export(commands: argparse._SubParsersAction) -> None:
    export = commands.add_parser("export", help="write a run's generator to a .safetensors file, to use anywhere")
    export.add_argument("target", type=Path, metavar="RUN", help="a run folder (latest checkpoint) or a checkpoint")
    export.add_argument("--out", type=Path, metavar="FILE.safetensors",
                        help="where to write it (default: generator-STEP.safetensors in the run folder)")
    export.add_argument("--raw", action="store_true", help="the trained generator, not its EMA copy")
    export.add_argument("--force", action="store_true", help=_FORCE.format(what="the --out file"))
    _add_data_root(export)


def _add_classifier(commands: argparse._SubParsersAction) -> None:
    classifier = commands.add_parser("classifier", help="train a classifier for domain metrics on labelled data")
    classifier_commands = classifier.add_subparsers(dest="classifier_command", required=True)
    classifier_train = classifier_commands.add_parser("train", help="train and save a classifier (features for FID)")
    classifier_train.add_argument("--data", required=True, help="labelled image data: digits, mnist, cifar10, ...")
    classifier_train.add_argument("--root", default="", help="where its files are")
    classifier_train.add_argument("--out", type=Path, required=True, help="where to write the classifier file")
    classifier_train.add_argument("--epochs", type=whole(1, 100_000), default=10)
    classifier_train.add_argument("--seed", type=whole(0, SEEDS - 1), default=0)
    classifier_train.add_argument("--resize", type=whole(0, MAX_SIDE), default=0)
    classifier_train.add_argument("--pad-to", type=whole(0, MAX_SIDE), default=0)
    classifier_train.add_argument("--force", action="store_true", help=_FORCE.format(what="the --out file"))


def _add_inspection(commands: argparse._SubParsersAction) -> None:
    diagnose = commands.add_parser("diagnose", help="diagnose a run: probe its critic and explain what its logs show")
    diagnose.add_argument("target", type=Path, metavar="RUN", help="a run folder (latest checkpoint) or a checkpoint")
    _add_data_root(diagnose)
    report = commands.add_parser("report", help="write a run's self-contained HTML report")
    report.add_argument("run", type=Path, metavar="RUN")
    report.add_argument("--out", type=Path,
                        help="the HTML file to write (default: RUN/report.html, the run's own, brought up to date)")
    report.add_argument("--force", action="store_true", help=_FORCE.format(what="the --out file"))
    _add_data_root(report)
    compare = commands.add_parser("compare", help="put several runs side by side in one HTML page")
    compare.add_argument("runs", type=Path, nargs="+", metavar="RUN")
    compare.add_argument("--out", type=Path, default=Path("comparison.html"), help="default: comparison.html")
    compare.add_argument("--force", action="store_true", help=_FORCE.format(what="the --out file"))


def _add_claims(commands: argparse._SubParsersAction) -> None:
    claims = commands.add_parser("claims", help="run the published claims as experiments and write the claims report")
    claims.add_argument("--only", metavar="N[,M...]", help="only these claims, e.g. --only 2,5,12")
    claims.add_argument("--seeds", type=whole(1, 1000), default=None, metavar="K",
                        help="seeds per claim (default 3; 1 with --quick)")
    claims.add_argument("--first-seed", type=whole(0, SEEDS - 1000), default=0, metavar="S",
                        help="seeds S .. S+K-1 (default 0)")
    claims.add_argument("--jobs", type=whole(1, 1024), default=1, metavar="J",
                        help="run the claims in J processes, each with 1/J of the threads (default 1)")
    claims.add_argument("--quick", action="store_true", help="a smoke test: minutes, tiny sizes, no verdicts")
    claims.add_argument("--resume", action="store_true",
                        help="reuse the claims that an earlier run of the same seeds, size and code, stopped before "
                        "its report, finished (kept in OUT/claims/finished)")
    claims.add_argument(
        "--out", type=Path, default=None,
        help="where claims.md, claims.html and claims/ go (default: docs; with --quick, claims-quick)"
    )
