"""Run folders for the report tests: hand-written ones (fast, exact) and one real tiny training."""

from __future__ import annotations

import base64
import io
import os
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image

from tests.tiny import TINY
from wganlab import cli, config, rundir
from wganlab.files import write_bytes_atomic

SCRIPT = "<script>alert(1)</script>"
# A path component cannot hold "/": the literal SCRIPT spans the parent folder and the run folder's name, and the
# run folder's own name carries a payload without a slash.
HOSTILE_PARENT = "00000-<script>alert(1)<"
HOSTILE_NAME = "script> <img src=x onerror=alert(2)> & $x$"


def png(width: int = 40, height: int = 30, colour: tuple[int, int, int] = (200, 80, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def write_run(folder: Path, overrides: list[str] | None = None, evaluations: int = 4, images: bool = False) -> Path:
    """A run folder written by hand: config, stats, metrics, diagnostics, summary and figures."""
    (folder / rundir.FIGURES).mkdir(parents=True)
    (folder / rundir.CHECKPOINTS).mkdir()
    resolved = config.load(None, None, overrides or [], 20 * evaluations)
    rundir.write_config(folder, resolved)
    for step in range(10, 20 * evaluations + 1, 10):
        record = {"step": step, "critic/loss": -1.0 / step, "critic/estimate": 10.0 / step, "generator/loss": 0.5}
        rundir.append_jsonl(folder / rundir.STATS, record | {"critic/penalty": 0.1, "time/train_seconds": step / 100})
    for index in range(1, evaluations + 1):
        step = 20 * index
        if images:
            metrics = {
                "fid_200": 100.0 / index,
                "kid_200": 1.0 / index,
                "modes_200": 5.0 * index,
                "total_modes": 1000.0,
            }
            record = {"step": step} | metrics | {"protocol": {"extractor": "digits-classifier", "fake_samples": 200}}
        else:
            metrics = {"w1_2000": 2.0 / index, "critic_estimate": 1.9 / index, "modes_2500": 5.0 * index}
            metrics |= {"total_modes": 25.0, "reverse_kl_2500": float("nan")}
            record = {"step": step} | metrics
        rundir.append_jsonl(folder / rundir.METRICS, record)
        probe = {
            "lipschitz/real": 1.0 + index,
            "lipschitz/interpolated": 1.5,
            "gradients/layer_norms": [1.0, 0.5, 0.25],
        }
        rundir.append_jsonl(folder / rundir.DIAGNOSTICS, {"step": step} | probe | {"critic/heldout_gap": 0.1 * index})
        write_bytes_atomic(rundir.figure_path(folder, step), png(colour=(40 * index, 90, 160)))
    summary = {
        "step": 20 * evaluations,
        "metrics": metrics,
        "run_train_seconds": 1.5,
        "generator_steps_per_second": 53.3,
    }
    rundir.write_summary(folder, summary | {"threads": 1, "torch": "2.x"})
    return folder


def hostile_folder(root: Path) -> Path:
    return root / HOSTILE_PARENT / HOSTILE_NAME


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory) -> Path:
    """A real tiny training (about a second), its folder renamed to a hostile name."""
    outdir = tmp_path_factory.mktemp("runs")
    code = cli.main(["train", "--steps", "60", "--set", "eval.every=20", *TINY, "--outdir", str(outdir)])
    assert code == 0
    (made,) = [path for path in outdir.iterdir() if path.is_dir()]
    target = hostile_folder(outdir)
    target.parent.mkdir()
    os.rename(made, target)
    return target


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.sections: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.tags.add(tag)
        if tag == "img":
            self.images.append(values.get("src") or "")
        if tag == "section" and values.get("id"):
            self.sections.append(values["id"] or "")


def parse(page: str) -> _Collector:
    collector = _Collector()
    collector.feed(page)
    return collector


def assert_self_contained(page: str) -> _Collector:
    """No script, no external reference, and every <img> a data: URI that Pillow decodes as a PNG."""
    parsed = parse(page)
    assert "script" not in parsed.tags
    assert "http://" not in page and "https://" not in page
    for source in parsed.images:
        assert source.startswith("data:image/png;base64,"), source[:40]
        picture = Image.open(io.BytesIO(base64.b64decode(source.split(",", 1)[1])))
        assert picture.format == "PNG"
        picture.load()
    return parsed
