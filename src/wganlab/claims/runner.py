"""Run the claim experiments, timing each; the reports package turns the results into docs/claims.md and HTML.

Each claim's result is kept as soon as it is finished (kept.Finished), so a run that is stopped or dies loses only
the claim it was in: the same command with --resume reuses the claims it finished.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import torch

from wganlab.claims.catalogue import CLAIMS, experiment
from wganlab.claims.context import ClaimContext
from wganlab.claims.kept import Finished
from wganlab.claims.result import ClaimResult, unjudged
from wganlab.errors import UserError


def parse_only(text: str | None) -> list[int]:
    """'2,5,12' -> [2, 5, 12]; None -> every claim."""
    if not text:
        return sorted(CLAIMS)
    try:
        numbers = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise UserError(f"--only takes claim numbers separated by commas (e.g. 2,5,12), got {text!r}") from None
    unknown = [n for n in numbers if n not in CLAIMS]
    if unknown or not numbers:
        raise UserError(f"--only: no claim {unknown or text!r}; the claims are numbered 1 to {max(CLAIMS)}")
    return numbers


def run_claim(number: int, context: ClaimContext) -> ClaimResult:
    """One claim's experiment, timed, with its rule's verdicts (run_claims withholds them at --quick sizes)."""
    started = time.perf_counter()
    return dataclasses.replace(experiment(number).run(context), seconds=time.perf_counter() - started)


# claims that share memoised work (trained critics, paired GAN runs) run in one process when they run in several
SHARED = ({1, 6}, {2, 3}, {8, 10, 11, 14})
# seconds per seed in one thread of a 2-core CPU (measured for issue 13; claim 8, with the runs it shares, at 96cd0fc:
# 3,571 s for 3 seeds; claim 15 at b834bab: 1,554 s for 3 seeds with 2 threads, more in one), to spread the work over
# processes
COST = {1: 275, 2: 50, 3: 1, 4: 150, 5: 25, 6: 112, 7: 60, 8: 1190, 9: 420, 10: 90, 11: 1, 12: 10, 13: 380, 14: 200,
        15: 540}


def run_claims(numbers: Sequence[int], context: ClaimContext, jobs: int = 1,
               finished: Finished | None = None) -> list[ClaimResult]:
    """Run each claim (in `jobs` processes, one thread each share of the machine's, when jobs > 1), keeping each
    result in `finished` as it comes (and taking it from there under --resume); under --quick (smoke-test sizes)
    every verdict is "not judged": the code ran, nothing more."""
    if jobs > 1 and len(numbers) > 1:
        results = _in_processes(numbers, context, jobs, finished)
    else:
        results = _in_turn(numbers, context, numbers, finished)
    return [unjudged(result) if context.quick else result for result in results]


def _in_turn(numbers: Sequence[int], context: ClaimContext, order: Sequence[int],
             finished: Finished | None = None) -> list[ClaimResult]:
    """`numbers` one after the other, logged as positions in `order` (all the claims asked for)."""
    results = []
    for number in numbers:
        context.log(f"[{list(order).index(number) + 1}/{len(order)}] claim {number}: {experiment(number).CLAIM.title}")
        result = finished.kept(number, context) if finished else None
        note = ", kept from an earlier run" if result is not None else ""
        if result is None:
            result = run_claim(number, context)
            if finished:
                finished.keep(result, context)
        verdict = unjudged(result).verdict if context.quick else result.verdict
        where = f"  [claim {number}]" if order != numbers else ""
        context.log(f"    {verdict}  ({result.seconds:.0f} s{note}){where}")
        results.append(result)
    return results


def partition(numbers: Sequence[int], jobs: int) -> list[list[int]]:
    """The claims split over `jobs` processes: claims that share work stay together, the costliest groups are
    placed first, each on the least loaded process."""
    groups: list[list[int]] = []
    for number in numbers:
        shared = next((group for group in groups if any({number, other} <= s for s in SHARED for other in group)),
                      None)
        if shared is None:
            groups.append([number])
        else:
            shared.append(number)
    loads: list[tuple[float, list[int]]] = [(0.0, []) for _ in range(min(jobs, len(groups)))]
    for group in sorted(groups, key=lambda g: -sum(COST.get(n, 60) for n in g)):
        index = min(range(len(loads)), key=lambda i: loads[i][0])
        load, members = loads[index]
        loads[index] = (load + sum(COST.get(n, 60) for n in group), members + group)
    return [sorted(members, key=list(numbers).index) for _, members in loads if members]


def threads_per_job(jobs: int) -> int:
    """Each of `jobs` processes' equal share of this process's threads (at least one)."""
    return max(1, torch.get_num_threads() // jobs)


def _in_processes(numbers: Sequence[int], context: ClaimContext, jobs: int,
                  finished: Finished | None) -> list[ClaimResult]:
    """Each share of the claims in a process of its own (spawned: a forked torch can hang in OpenMP), with its own
    memo and an equal share of the threads; results come back in the order asked for."""
    threads = threads_per_job(jobs)
    shares = partition(numbers, jobs)
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=len(shares), mp_context=spawn) as pool:
        futures = [pool.submit(_worker, share, list(numbers), context.seeds, context.quick, context.figure_dir,
                               context.work_dir / f"job-{index}", threads, finished)
                   for index, share in enumerate(shares)]
        done = [result for future in futures for result in future.result()]
    by_number = {result.number: result for result in done}
    return [by_number[number] for number in numbers]


def _worker(numbers: list[int], order: list[int], seeds: tuple[int, ...], quick: bool, figure_dir: Path,
            work_dir: Path, threads: int, finished: Finished | None) -> list[ClaimResult]:
    torch.set_num_threads(threads)
    work_dir.mkdir(parents=True, exist_ok=True)
    context = ClaimContext(seeds, quick, figure_dir, work_dir, log=lambda line: print(line, flush=True))
    return _in_turn(numbers, context, order, finished)
