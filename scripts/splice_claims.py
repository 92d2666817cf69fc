#!/usr/bin/env python3
"""Put the claims of a `wganlab claims --only ...` run into a full claims report, in place of the old ones.

    python scripts/splice_claims.py REPORT_DIR RERUN_DIR

REPORT_DIR and RERUN_DIR each hold claims.md, claims.html and claims/ as `wganlab claims --out` writes them. Each
claim in the rerun replaces that claim's section, its row in the verdict table and its figures in the report
(claims.md and claims.html); a claim the report does not have yet (a new one) is added in its place by number. The
report's run line then says which claims were rerun on their own, and on what (a
note of an earlier splice of the same claims, which no longer holds, is replaced).
Everything else in the report stays as it was. Both reports must have run the same seeds at the same sizes (full or
quick): otherwise, or when a file is missing or not a claims report, the script prints one line and exits with 2,
and changes nothing. Both files are written whole and then moved into place.
"""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Callable
from html import escape, unescape
from pathlib import Path

from wganlab.claims.result import NOT_JUDGED, VERDICTS

MD_RUN = re.compile(r"^Machine and run: (?P<line>.*?)\.?$", re.M)
HTML_RUN = re.compile(r'<p class="subtitle">(?P<line>.*?)</p>')
SETTINGS = re.compile(r"seeds (?P<seeds>[\d, ]+); (?P<mode>full|quick)")
MD_SECTION = re.compile(r'<a id="claim-(?P<number>\d+)"></a>\n.*?(?=<a id="claim-\d+"></a>\n|\Z)', re.S)
MD_SECTION_OF = r'<a id="claim-{number}"></a>\n.*?(?=<a id="claim-\d+"></a>\n|\Z)'
MD_ROW = r"^\| \[{number}\]\(#claim-{number}\) \|[^\n]*$"
HTML_SECTION = r'<section id="claim-{number}" class="claim">.*?</section>'
HTML_NAV = r'<a href="#claim-{number}">Claim {number}</a>'
HTML_ROW = r'<tr class="[^"]*"><td><a href="#claim-{number}">{number}</a></td>.*?</tr>'
HTML_COUNT = re.compile(r"<p>\d+ claims?: [^<]*</p>")
NOTE = re.compile(r"; claims? (?P<which>\d+(?:, \d+)*) rerun on (?:its|their) own and spliced in: ")


class SpliceError(Exception):
    """A report that cannot be spliced: its message is the one line the user sees."""


def read(folder: Path, name: str) -> str:
    path = folder / name
    if not path.is_file():
        raise SpliceError(f"{path} does not exist: give folders written by `wganlab claims --out`")
    return path.read_text(encoding="utf-8")


def run_line(text: str, pattern: re.Pattern[str], path: Path) -> str:
    found = pattern.search(text)
    if not found or not SETTINGS.search(found.group("line")):
        raise SpliceError(f"{path} has no run line with its seeds and sizes: it is not a claims report")
    return found.group("line")


def settings(line: str) -> tuple[str, str]:
    found = SETTINGS.search(line)
    assert found is not None  # run_line checked it
    return found.group("seeds"), found.group("mode")


def one(pattern: str, text: str, what: str) -> re.Match[str]:
    found = list(re.finditer(pattern, text, re.S | re.M))
    if len(found) != 1:
        raise SpliceError(f"{what}: expected one, found {len(found)}")
    return found[0]


def replace(pattern: str, old: str, new: str, what: str) -> str:
    """`old` with its one match of `pattern` replaced by `new`'s one match."""
    place, piece = one(pattern, old, f"{what} in the report"), one(pattern, new, f"{what} in the rerun")
    return old[: place.start()] + piece.group(0) + old[place.end() :]


def replacing(number: int) -> Callable[[str, str, str, str], str]:
    """A claim the report has: each piece of it (a section or row pattern) is the rerun's."""
    return lambda pattern, old, new, what: replace(pattern.format(number=number), old, new, what)


def insert(number: int, present: list[int]) -> Callable[[str, str, str, str], str]:
    """A claim the report lacks: each piece of it goes after the piece of the claim before it (before the first
    claim's when it comes first), with the line breaks its neighbours have."""

    def put(pattern: str, old: str, new: str, what: str) -> str:
        piece = one(pattern.format(number=number), new, f"{what} in the rerun").group(0)
        if not present or re.search(pattern.format(number=number), old, re.S | re.M):
            raise SpliceError(f"{what} in the report: its claims.md and claims.html disagree on which claims it has "
                              "(or it has none); write the report again with `wganlab claims`")
        before = [n for n in present if n < number]
        neighbour = before[-1] if before else present[0]
        place = one(pattern.format(number=neighbour), old, f"claim {neighbour}'s piece in the report")
        if pattern is MD_SECTION_OF:  # a section runs to the next one's anchor: blank line between sections
            piece = piece.rstrip("\n") + "\n"
            if before:
                return old[: place.end()].rstrip("\n") + "\n\n" + piece + ("\n" if old[place.end():] else "") + \
                    old[place.end():]
            return old[: place.start()] + piece + "\n" + old[place.start():]
        gap = "\n" if pattern is MD_ROW else ""
        if before:
            return old[: place.end()] + gap + piece + old[place.end():]
        return old[: place.start()] + piece + gap + old[place.start():]

    return put


def count_line(html: str) -> str:
    """The verdict table's summary ('14 claims: 10 holds, 4 mixed.'), counted again from its rows."""
    verdicts = re.findall(r'<tr class="[^"]*"><td><a href="#claim-\d+">\d+</a></td><td>.*?</td><td><span class="badge '
                          r'[^"]*">(?P<verdict>[^<]*)</span>', html)
    counts = [f"{verdicts.count(v)} {v}" for v in (*VERDICTS, NOT_JUDGED) if verdicts.count(v)]
    return f"<p>{len(verdicts)} claims: {', '.join(counts)}.</p>"


def note(which: str) -> str:
    """The run line's note that the claims `which` ("8" or "8, 10") were rerun; NOTE reads it back."""
    several = "," in which
    return f"; claim{'s' if several else ''} {which} rerun on {'their' if several else 'its'} own and spliced in: "


def noted(line: str, numbers: list[int], new_line: str) -> str:
    """The run line `line` with a note that `numbers` were rerun on `new_line`, in place of earlier notes of claims
    that are all among them (their runs are no longer in the report)."""
    pieces = NOTE.split(line)  # [the run, which, its line, which, its line, ...]
    kept = [pieces[0]] + [note(which) + earlier for which, earlier in zip(pieces[1::2], pieces[2::2], strict=True)
                          if not {int(n) for n in which.split(", ")} <= set(numbers)]
    return "".join(kept) + note(", ".join(map(str, numbers))) + new_line


def splice(report: Path, rerun: Path) -> list[int]:
    """Splice every claim of `rerun` into `report` (module docstring); returns the claim numbers."""
    md, html = read(report, "claims.md"), read(report, "claims.html")
    new_md, new_html = read(rerun, "claims.md"), read(rerun, "claims.html")
    old_line = run_line(md, MD_RUN, report / "claims.md")
    new_line = run_line(new_md, MD_RUN, rerun / "claims.md")
    run_line(html, HTML_RUN, report / "claims.html")
    if settings(old_line) != settings(new_line):
        raise SpliceError(f"the rerun ran {'; '.join(settings(new_line))}, the report "
                          f"{'; '.join(settings(old_line))}: splice only runs of the same seeds and sizes")
    numbers = [int(found.group("number")) for found in MD_SECTION.finditer(new_md)]
    if not numbers:
        raise SpliceError(f"{rerun / 'claims.md'} holds no claim")
    present = sorted(int(found.group("number")) for found in MD_SECTION.finditer(md))
    for number in numbers:
        what = f"claim {number}'s"
        put = replacing(number) if number in present else insert(number, present)
        md = put(MD_SECTION_OF, md, new_md, f"{what} section")
        md = put(MD_ROW, md, new_md, f"{what} row")
        html = put(HTML_SECTION, html, new_html, f"{what} section")
        html = put(HTML_ROW, html, new_html, f"{what} row")
        html = put(HTML_NAV, html, new_html, f"{what} link")
        present = sorted({*present, number})
    html = HTML_COUNT.sub(lambda _: count_line(html), html, count=1)
    md = MD_RUN.sub(lambda found: f"Machine and run: {noted(found.group('line'), numbers, new_line)}.", md, count=1)
    html = HTML_RUN.sub(
        lambda found: f'<p class="subtitle">{escape(noted(unescape(found.group("line")), numbers, new_line))}</p>',
        html, count=1)
    figures = report / "claims"
    figures.mkdir(exist_ok=True)
    staged = {report / "claims.md": md, report / "claims.html": html}
    for path, text in staged.items():
        path.with_name(path.name + ".splicing").write_text(text, encoding="utf-8")
    for number in numbers:
        for old in figures.glob(f"claim-{number:02d}-*"):
            old.unlink()
        for figure in (rerun / "claims").glob(f"claim-{number:02d}-*"):
            shutil.copy2(figure, figures / figure.name)
    for path in staged:
        path.with_name(path.name + ".splicing").replace(path)
    return numbers


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python scripts/splice_claims.py REPORT_DIR RERUN_DIR", file=sys.stderr)
        return 2
    try:
        numbers = splice(Path(argv[0]), Path(argv[1]))
    except SpliceError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"spliced claim{'s' if len(numbers) > 1 else ''} {', '.join(map(str, numbers))} of {argv[1]} into {argv[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
