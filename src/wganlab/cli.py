"""The `wganlab` command: parse the arguments, hand them to the command, and end every failure in one line.

A problem the user can fix (bad config, bad file, wrong checkpoint, a full disk, too little memory) ends with one
line on stderr and exit code 2. Each command's own code sits beside this module, named after it: `train`
(train, sweep), `evaluate`, `reference` (stats), `sample`, `export`, `diagnose`; it is imported only when its
command runs, so `wganlab --help` stays quick. The commands that are a call or two and a print (classifier,
report, compare, claims, list) are here.
"""

from __future__ import annotations

import argparse
import errno
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from wganlab.arguments import parser
from wganlab.errors import CollectiveError, UserError

EXIT_USER_ERROR = 2


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = parser().parse_args(argv)
    except SystemExit as stop:  # --help (0), or a command-line mistake, printed in one line by the parser (2)
        return stop.code if isinstance(stop.code, int) else EXIT_USER_ERROR
    try:
        return int(HANDLERS[args.command](args) or 0)
    except CollectiveError as error:  # every rank of a distributed run met it: rank 0 alone says so
        if not _rank():  # None (one process) or 0
            print(f"wganlab: error: {error}", file=sys.stderr)
        return EXIT_USER_ERROR
    except UserError as error:
        print(f"wganlab: error: {_where()}{error}", file=sys.stderr)
        return EXIT_USER_ERROR
    except OSError as error:  # a full disk, a read-only folder, a path that is a file: what and where, in one line
        print(f"wganlab: error: {os_error_line(error)}", file=sys.stderr)
        return EXIT_USER_ERROR
    except (MemoryError, RuntimeError) as error:  # torch's allocators raise RuntimeError (OutOfMemoryError on CUDA)
        if not isinstance(error, MemoryError) and not _out_of_memory(error):
            raise
        print("wganlab: error: out of memory; lower train.batch_size, model.width or the evaluation's sample "
              "counts (eval.image_samples, --samples, --count)", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print(f"wganlab: interrupted{_RESUME.get(args.command, '')}", file=sys.stderr)
        return 130


def run() -> NoReturn:
    """The `wganlab` console script (and `python -m wganlab`): `main`, then exit with its code; a process of a
    torchrun job ends without the interpreter's teardown (distributed.end_process says why)."""
    code = main()
    if _rank() is not None:
        from wganlab.training.distributed import end_process

        end_process(code)
    sys.exit(code)


_RESUME = {  # what an interrupted command keeps, and how to go on from it
    "train": "; resume with --resume RUN from the last checkpoint",
    "claims": "; the same command with --resume reuses the claims it finished",
}


_OS_ADVICE = {
    errno.ENOSPC: "free space on that disk or write elsewhere (--outdir, $WGANLAB_CACHE)",
    errno.EDQUOT: "free space on that disk or write elsewhere (--outdir, $WGANLAB_CACHE)",
    errno.EACCES: "choose a folder you may write to, or fix its permissions",
    errno.EPERM: "choose a folder you may write to, or fix its permissions",
    errno.EROFS: "the file system is read-only: choose another folder (--outdir)",
    errno.ENOTDIR: "a part of the path is a file, not a folder: check the path",
    errno.EISDIR: "the path is a folder where a file was expected: check the path",
    errno.ENOENT: "a folder on the path does not exist: check the path",
    errno.ENAMETOOLONG: "the path is too long: choose a shorter one",
}


def _rank() -> int | None:
    """This process's rank under torchrun (with more than one process), else None."""
    import os

    return int(os.environ.get("RANK", "0")) if int(os.environ.get("WORLD_SIZE", "1")) > 1 else None


def _where() -> str:
    rank = _rank()
    return "" if rank is None else f"rank {rank}: "


def _out_of_memory(error: RuntimeError) -> bool:
    text = str(error)
    return type(error).__name__ == "OutOfMemoryError" or "can't allocate memory" in text or "out of memory" in text


def os_error_line(error: OSError) -> str:
    """An operating-system error as one line: what failed, on which path, and what to do."""
    where = " -> ".join(str(name) for name in (error.filename, error.filename2) if name is not None) or "a file"
    advice = _OS_ADVICE.get(error.errno or -1, "check the path, its permissions and the disk")
    return f"{error.strerror or error} ({where}); {advice}"


def _train(args: argparse.Namespace) -> int:
    from wganlab.train import train_command

    return train_command(args)


def _sweep(args: argparse.Namespace) -> int:
    from wganlab.train import sweep_command

    return sweep_command(args)


def _evaluate(args: argparse.Namespace) -> int:
    from wganlab.evaluate import evaluate_command

    return evaluate_command(args)


def _stats(args: argparse.Namespace) -> int:
    from wganlab.reference import stats_command

    return stats_command(args)


def _sample(args: argparse.Namespace) -> int:
    from wganlab.sample import sample_command

    return sample_command(args)


def _export(args: argparse.Namespace) -> int:
    from wganlab.export import export_command

    return export_command(args)


def _diagnose(args: argparse.Namespace) -> int:
    from wganlab.diagnose import diagnose_command

    return diagnose_command(args)


def _classifier_train(args: argparse.Namespace) -> int:
    from wganlab.data.images import load_images
    from wganlab.files import refuse_to_replace
    from wganlab.models.classifier import save_classifier
    from wganlab.training.classifier import train_classifier

    refuse_to_replace(args.out, args.force)
    data = load_images(args.data, args.root or None, split="train", resize=args.resize, pad_to=args.pad_to)
    if data.labels is None:
        raise UserError(f"{args.data} at {data.source} has no labels: a classifier needs labelled images")
    model, report = train_classifier(data.images, data.labels, epochs=args.epochs, seed=args.seed)
    report |= {"data": args.data, "source": data.source}
    save_classifier(args.out, model, report)
    print(f"held-out accuracy {report['held_out_accuracy']:.4f} on {report['held_out_size']} images")
    print(f"wrote {args.out}; use it with --set eval.extractor=classifier --set eval.extractor_weights={args.out}")
    return 0


def _report_run(args: argparse.Namespace) -> int:
    from wganlab.diagnose import diagnosis_or_reason
    from wganlab.files import refuse_to_replace
    from wganlab.reports.run_report import write_run_report

    refuse_to_replace(args.out, args.force)  # the run's own RUN/report.html (no --out) is brought up to date
    print(f"wrote {write_run_report(args.run, diagnosis_or_reason(args.run, args.data_root), args.out)}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from wganlab.files import refuse_to_replace
    from wganlab.reports.compare import write_comparison

    refuse_to_replace(args.out, args.force)
    print(f"wrote {write_comparison(args.runs, args.out)}")
    return 0


def _claims(args: argparse.Namespace) -> int:
    import tempfile
    import time

    from wganlab.claims.context import ClaimContext
    from wganlab.claims.kept import Finished
    from wganlab.claims.runner import parse_only, run_claims
    from wganlab.reports.claims_markdown import machine_line, write_claims_report

    numbers = parse_only(args.only)
    seeds = args.seeds if args.seeds is not None else (1 if args.quick else 3)  # a verdict is judged over 3 seeds
    out = args.out or (Path("claims-quick") if args.quick else Path("docs"))  # a smoke test never replaces docs/
    started = time.perf_counter()
    finished = Finished(out / "claims" / "finished", args.resume)
    if not args.resume and finished.any_kept():
        print(f"claims an earlier run finished are kept in {finished.folder}: add --resume to reuse them (they are "
              "replaced as this run finishes its claims)", flush=True)
    with tempfile.TemporaryDirectory(prefix="wganlab-claims-") as scratch:
        context = ClaimContext(
            seeds=tuple(range(args.first_seed, args.first_seed + seeds)),
            quick=args.quick,
            figure_dir=out / "claims",
            work_dir=Path(scratch),
            log=lambda line: print(line, flush=True),
        )
        results = run_claims(numbers, context, args.jobs, finished)
    machine = machine_line(time.perf_counter() - started, context.seeds, context.quick, args.jobs)
    path = write_claims_report(results, machine, out)
    finished.clear(numbers)
    for result in results:
        print(f"claim {result.number:>2}: {result.verdict:<13} {result.title}")
    print(f"wrote {path} and {out / 'claims.html'} ({(time.perf_counter() - started) / 60:.1f} minutes)")
    if context.quick:
        print("--quick is a smoke test: every claim ran at sizes too small for its rule, so no verdict was drawn; "
              "run without --quick for the verdicts")
    return 0


def _list(args: argparse.Namespace) -> int:
    from wganlab.training import validation

    for kind, entries in validation.KINDS.items():
        print(f"{kind}:")
        width = max(map(len, entries))
        for name, description in entries.items():
            print(f"  {name:<{width}}  {description}")
    return 0


HANDLERS = {
    "train": _train,
    "sweep": _sweep,
    "evaluate": _evaluate,
    "stats": _stats,
    "sample": _sample,
    "export": _export,
    "classifier": _classifier_train,
    "diagnose": _diagnose,
    "report": _report_run,
    "compare": _compare,
    "claims": _claims,
    "list": _list,
}


if __name__ == "__main__":  # pragma: no cover
    run()
