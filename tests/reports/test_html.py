"""Page primitives: everything that is not Markup is escaped; images are inline PNGs; no external resource."""

from __future__ import annotations

import base64
import re

import pytest

from tests.reports.conftest import SCRIPT, png
from wganlab.reports import html as h


def test_text_is_escaped_and_markup_is_not():
    assert h.escape(SCRIPT) == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert h.escape(h.tag("b", SCRIPT)) == "<b>&lt;script&gt;alert(1)&lt;/script&gt;</b>"
    assert h.tag("a", "x", href='"><script>', class_="c") == '<a href="&quot;&gt;&lt;script&gt;" class="c">x</a>'


def test_table_escapes_cells_and_formats_numbers():
    table = h.table((SCRIPT, "value"), [(SCRIPT, 0.123456789), ("n", 3), ("nan", float("nan")), ("t", True)])
    assert "<script>" not in table
    assert table.count("&lt;script&gt;") == 2
    assert ">0.1235<" in table and ">3<" in table and ">nan<" in table and ">True<" in table
    assert 'class="num"' in table


def test_number():
    values = (3, 3.0, 2.5e-7, 1234.5678, float("inf"), "x")
    assert [h.number(v) for v in values] == ["3", "3", "2.5e-07", "1235", "inf", "x"]


def test_image_is_an_inline_png_and_rejects_other_bytes():
    data = png()
    figure = h.image(data, SCRIPT, caption=SCRIPT, width=100)
    (source,) = re.findall(r'src="data:image/png;base64,([^"]+)"', figure)
    assert base64.b64decode(source) == data
    assert "<script>" not in figure
    with pytest.raises(ValueError, match="not a PNG"):
        h.image(b"GIF89a", "x")


def test_page_is_self_contained():
    page = h.page(SCRIPT, SCRIPT, h.section(SCRIPT, h.paragraph(SCRIPT), anchor="a"), navigation=[(SCRIPT, "a")])
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page.lower()
    assert "http://" not in page and "https://" not in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert '<section id="a"><h2>&lt;script&gt;' in page
