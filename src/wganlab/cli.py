"""The `wganlab` command: parse, build a config, call one public function.

A problem the user can fix (bad config, bad file, wrong checkpoint) ends with one line on stderr and exit
code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from wganlab import config as configuration
from wganlab.errors import UserError

EXIT_USER_ERROR = 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except UserError as error:
        print(f"wganlab: error: {error}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("wganlab: interrupted; resume with --resume RUN from the last checkpoint", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wganlab", description="Train, diagnose and evaluate Wasserstein GANs."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser(
        "train", help="train a GAN (default: the tuned WGAN-GP preset on the 25-mode grid)"
    )
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
    train.add_argument("--steps", type=int, help="generator steps (also extends a resumed run)")
    train.add_argument("--resume", type=Path, metavar="RUN", help="continue a run folder or checkpoint file")
    train.add_argument(
        "--outdir", type=Path, default=Path("runs"), help="where run folders go (default: runs)"
    )
    train.add_argument("--dry-run", action="store_true", help="print the resolved config and exit")
    train.set_defaults(handler=_train)

    evaluate = commands.add_parser(
        "evaluate", help="evaluate a run's latest checkpoint (or a checkpoint file)"
    )
    evaluate.add_argument("run", type=Path, metavar="RUN")
    evaluate.set_defaults(handler=_evaluate)

    listing = commands.add_parser("list", help="list datasets, losses, penalties, constraints and presets")
    listing.set_defaults(handler=_list)
    return parser


def _train(args: argparse.Namespace) -> int:
    from wganlab.training import loop

    if args.resume is not None:
        if args.config is not None or args.preset or args.overrides:
            raise UserError("--resume continues a run with its own config; drop CONFIG, --preset and --set")
        if args.dry_run:
            raise UserError("--dry-run does not apply to --resume")
        folder, run, state = loop.resume(args.resume, args.steps)
        print(f"resuming {folder} at step {state.step} of {run.config.train.steps}")
    else:
        config = configuration.load(args.config, args.preset, args.overrides, args.steps)
        if args.dry_run:
            print(json.dumps(configuration.to_dict(config), indent=2))
            return 0
        folder, run, state = loop.start(config, args.outdir)
        print(f"run folder {folder}  (preset {config.preset}, {config.train.steps} generator steps)")
    summary = loop.fit(folder, run, state)
    print(_report(loop.headline(run, summary.metrics), summary.metrics, summary.generator_steps_per_second))
    print(f"run folder {folder}")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from wganlab.training import loop

    folder, run, state = loop.load(args.run)
    metrics = loop.measure(run, state).metrics
    print(f"{folder} at step {state.step}")
    print(_report(loop.headline(run, metrics), metrics, None))
    return 0


def _report(headline: str, metrics: dict[str, float], steps_per_second: float | None) -> str:
    lines = [headline] + [f"  {key} = {value:.6g}" for key, value in metrics.items()]
    if steps_per_second is not None:
        lines.append(f"  generator_steps_per_second = {steps_per_second:.2f}")
    return "\n".join(lines)


def _list(args: argparse.Namespace) -> int:
    from wganlab import registry

    for kind, entries in registry.KINDS.items():
        print(f"{kind}:")
        width = max(map(len, entries))
        for name, description in entries.items():
            print(f"  {name:<{width}}  {description}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
