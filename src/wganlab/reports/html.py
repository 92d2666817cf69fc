"""Building blocks of one self-contained HTML page: escaped text, tables, inline PNGs, sections, inline CSS.

Everything that is not `Markup` is escaped, so text from configs, run names, metric keys or findings always
shows as text. Images are `data:` URIs and the style sheet is inline: the page loads no other file, runs no
script, and its Content-Security-Policy forbids both. No matplotlib here (the claims runner imports this).
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Iterable, Sequence

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class Markup(str):
    """HTML that is already safe: made by this module's functions, never by wrapping raw text."""


def escape(value: object) -> Markup:
    return value if isinstance(value, Markup) else Markup(html.escape(str(value), quote=True))


def join(parts: Iterable[object]) -> Markup:
    return Markup("".join(escape(part) for part in parts))


def tag(name: str, *children: object, **attributes: object) -> Markup:
    """<name attributes>children</name>; `class_` gives `class`; attributes that are None are left out."""
    rendered = "".join(
        f' {key.rstrip("_").replace("_", "-")}="{html.escape(str(value), quote=True)}"'
        for key, value in attributes.items()
        if value is not None
    )
    return Markup(f"<{name}{rendered}>{join(children)}</{name}>")


def number(value: object) -> str:
    """Four significant digits for floats (nan and inf spelt out), integers as they are."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int) or (math.isfinite(value) and value == int(value) and abs(value) < 1e6):
        return f"{int(value):d}"
    return f"{value:.4g}"


def _cell(value: object) -> Markup:
    """A <td>: numbers right-aligned to four significant digits, None (no value) as a dash in the number column."""
    if value is None:
        return tag("td", "\u2013", class_="num missing")
    numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
    return tag("td", value if isinstance(value, Markup) else number(value), class_="num" if numeric else None)


def table(
    headers: Sequence[object],
    rows: Iterable[Sequence[object]],
    caption: str | None = None,
    row_classes: Sequence[str | None] | None = None,
) -> Markup:
    """A table with one header row; numbers are right-aligned and shown to four significant digits, None as a dash."""
    rows = list(rows)
    classes = list(row_classes) if row_classes is not None else [None] * len(rows)
    head = tag("thead", tag("tr", *(tag("th", h) for h in headers)))
    body = tag("tbody", *(tag("tr", *(_cell(c) for c in row), class_=k) for row, k in zip(rows, classes, strict=True)))
    return tag("table", tag("caption", caption) if caption else "", head, body)


def key_values(pairs: Iterable[tuple[object, object]], caption: str | None = None) -> Markup:
    """A two-column table of name -> value."""
    rows = [tag("tr", tag("th", key, scope="row"), _cell(value)) for key, value in pairs]
    return tag("table", tag("caption", caption) if caption else "", tag("tbody", *rows), class_="pairs")


def image(png: bytes, alt: str, caption: str | None = None, width: int | None = None) -> Markup:
    """An inline PNG (`data:image/png;base64,...`) in a <figure>, with an optional caption."""
    if not png.startswith(PNG_SIGNATURE):
        raise ValueError(f"image {alt!r} is not a PNG")
    source = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    picture = Markup(f'<img src="{source}" alt="{html.escape(alt, quote=True)}">')
    style = f"width: {width}px" if width else None
    return tag("figure", picture, tag("figcaption", caption) if caption else "", style=style)


def gallery(figures: Iterable[Markup]) -> Markup:
    """Figures side by side, wrapping on narrow screens."""
    return tag("div", *figures, class_="gallery")


def paragraph(*children: object, class_: str | None = None) -> Markup:
    return tag("p", *children, class_=class_)


def badge(label: str, kind: str) -> Markup:
    """A coloured label; `kind` picks the colour (holds, does-not-hold, mixed, warning, info)."""
    return tag("span", label, class_=f"badge {kind}")


def section(title: str, *body: object, anchor: str | None = None) -> Markup:
    return tag("section", tag("h2", title), *body, id=anchor)


def page(title: str, subtitle: str, *body: object, navigation: Sequence[tuple[str, str]] = ()) -> str:
    """The whole document: header (title, subtitle, optional links to section anchors), then the body."""
    links = tag("nav", *(tag("a", label, href=f"#{anchor}") for label, anchor in navigation)) if navigation else ""
    header = tag("header", tag("h1", title), tag("p", subtitle, class_="subtitle"), links)
    return (
        "<!DOCTYPE html>\n"
        + tag(
            "html",
            tag(
                "head",
                Markup('<meta charset="utf-8">'),
                Markup('<meta name="viewport" content="width=device-width, initial-scale=1">'),
                Markup(f'<meta http-equiv="Content-Security-Policy" content="{_POLICY}">'),
                Markup('<link rel="icon" href="data:,">'),  # no favicon request
                tag("title", title),
                Markup(f"<style>{STYLE}</style>"),
            ),
            tag("body", header, tag("main", *body)),
            lang="en",
        )
        + "\n"
    )


_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

STYLE = """
:root { --ink: #1f2328; --muted: #656d76; --line: #d8dee4; --soft: #f6f8fa; --accent: #0b5cad; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff; line-height: 1.45;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header { padding: 18px 28px 12px; border-bottom: 1px solid var(--line); background: var(--soft); }
header h1 { margin: 0; font-size: 21px; font-weight: 650; overflow-wrap: anywhere; }
.subtitle { margin: 4px 0 0; color: var(--muted); }
nav { margin-top: 8px; display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 13px; }
nav a, main a { color: var(--accent); text-decoration: none; }
nav a:hover, main a:hover { text-decoration: underline; }
main { padding: 4px 28px 40px; max-width: 1180px; }
section { margin-top: 22px; }
h2 { font-size: 17px; margin: 0 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 14px 0 6px; }
p { margin: 6px 0; max-width: 90ch; }
.muted { color: var(--muted); font-size: 13px; }
code { font: 12.5px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--soft);
  padding: 0 3px; border-radius: 3px; }
table { border-collapse: collapse; margin: 6px 0 12px; font-size: 13px; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding: 2px 0 4px; color: var(--ink); white-space: nowrap; }
th, td { padding: 3px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: baseline; }
thead th { background: var(--soft); border-bottom: 2px solid var(--line); font-weight: 600; white-space: nowrap; }
td.missing { color: var(--muted); }
td.num, th.num { text-align: right; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: 12.5px; }
tbody td:first-child { white-space: nowrap; }
table.pairs th { font-weight: 500; color: var(--muted); white-space: nowrap; }
.scroll { overflow-x: auto; max-width: 100%; }
.runs thead th { white-space: normal; overflow-wrap: anywhere; max-width: 16em; vertical-align: bottom; }
.runs.notes td:last-child { color: var(--muted); font-size: 12.5px; min-width: 24em; }
.grid { display: flex; flex-wrap: wrap; gap: 4px 24px; align-items: flex-start; }
.gallery { display: flex; flex-wrap: wrap; gap: 10px; align-items: flex-start; }
figure { margin: 6px 0; }
.gallery figure { flex: 0 1 auto; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid var(--line); border-radius: 3px; }
figcaption { font-size: 12px; color: var(--muted); margin-top: 3px; overflow-wrap: anywhere; max-width: 520px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600;
  white-space: nowrap; border: 1px solid transparent; }
.holds { background: #dafbe1; color: #116329; border-color: #aceebb; }
.does-not-hold { background: #ffebe9; color: #a40e26; border-color: #ffcecb; }
.mixed { background: #fff8c5; color: #7d4e00; border-color: #f2d16b; }
.warning { background: #fff1e5; color: #953800; border-color: #ffd8b5; }
.info { background: #ddf4ff; color: #0a3069; border-color: #b6e3ff; }
tr.holds, tr.does-not-hold, tr.mixed { color: var(--ink); }
.finding { border-left: 4px solid #54aeff; background: #f6fbff; padding: 6px 12px; margin: 8px 0;
  border-radius: 0 4px 4px 0; }
.finding.warning { border-left-color: #e16f24; background: #fff8f2; color: var(--ink); }
.finding h3 { margin: 0 0 2px; font-size: 14px; }
.finding .evidence { color: var(--muted); font-size: 12.5px; }
.claim { border-top: 1px solid var(--line); padding-top: 6px; }
.claim h2 { border: none; display: flex; gap: 10px; align-items: baseline; flex-wrap: wrap; }
dl.fields { display: grid; grid-template-columns: max-content 1fr; gap: 4px 14px; margin: 6px 0 10px; }
dl.fields dt { font-weight: 600; color: var(--muted); }
dl.fields dd { margin: 0; max-width: 95ch; }
"""


def fields(pairs: Iterable[tuple[str, object]]) -> Markup:
    """Labelled paragraphs (Source, Expectation, ...) as a two-column definition list; empty values left out."""
    items = [join([tag("dt", label), tag("dd", value)]) for label, value in pairs if value not in ("", None)]
    return tag("dl", *items, class_="fields")
