"""Set the verdicts of two claims reports side by side: did any claim's verdict move between two runs (other seeds)?

    python scripts/compare_verdicts.py docs/claims.md docs/stability/claims.md

Prints a Markdown table (claim, what, each run's verdict and per-seed verdicts, whether it moved) and exits 1 when
a claim judged in both runs has a different verdict in each, 0 when none moved, 2 when a file is not a claims
report written by `wganlab claims`.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import NoReturn

ROW = re.compile(r"^\| \[(\d+)\]\(#claim-\d+\) \| (.*?) \| \*\*(.*?)\*\* \| (.*?) \| .*\|$")
SEEDS = re.compile(r"; seeds ([\d, ]+);")


def read(path: Path) -> tuple[str, dict[int, tuple[str, str, str]]]:
    """(the run's seeds, {claim: (what, verdict, per-seed verdicts)}) from the summary table of a claims.md."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        _fail(f"cannot read {path} ({error.__class__.__name__}: {error}): give the path of a claims.md")
    rows = {int(m[1]): (m[2], m[3], m[4]) for line in text.splitlines() if (m := ROW.match(line))}
    seeds = SEEDS.search(text)
    if not rows or not seeds:
        _fail(f"{path} has no summary table of verdicts: give a claims.md written by `wganlab claims`")
    return seeds[1], rows


def _fail(message: str) -> NoReturn:
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(2)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python scripts/compare_verdicts.py FIRST/claims.md SECOND/claims.md", file=sys.stderr)
        return 2
    (seeds_a, a), (seeds_b, b) = read(Path(argv[0])), read(Path(argv[1]))
    print(f"| claim | what | verdict, seeds {seeds_a} | per seed | verdict, seeds {seeds_b} | per seed | moved |")
    print("|---|---|---|---|---|---|---|")
    moved = []
    for number in sorted(a.keys() | b.keys()):
        what = (a.get(number) or b[number])[0]
        first, second = a.get(number), b.get(number)
        change = "not run in both" if first is None or second is None else \
            ("**yes**" if first[1] != second[1] else "no")
        if change == "**yes**":
            moved.append(number)
        cells = [f"**{run[1]}** | {run[2]}" if run else "- | -" for run in (first, second)]
        print(f"| {number} | {what} | {cells[0]} | {cells[1]} | {change} |")
    both = sorted(a.keys() & b.keys())
    print()
    print(f"{len(both) - len(moved)} of {len(both)} claims run in both have the same verdict"
          + (f"; moved: {', '.join(map(str, moved))}." if moved else "."))
    return 1 if moved else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
