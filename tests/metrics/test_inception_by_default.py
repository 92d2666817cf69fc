"""With torch-fidelity installed, image runs measure FID on Inception by default: its weights cached (here the
random-weight stand-in of tests/inception_standin.py, put where torch-fidelity keeps the real ones), or fetched by
torch-fidelity's own loader (the network call replaced), or, offline, metrics off with one line saying what to put
where. And pytorch-fid / TTUR statistics written by `wganlab stats --format pytorch-fid` give the FID our own
reference gives. Skipped where torch-fidelity cannot be imported (CI installs it for this file)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from urllib.error import URLError

import numpy as np
import pytest
import torch

from tests.inception_standin import write_standin
from tests.training.test_metrics_by_default import fake_mnist
from wganlab import cli, runlogs
from wganlab import config as configuration
from wganlab.errors import UserError
from wganlab.metrics import inception
from wganlab.training import build


@pytest.fixture(scope="module")
def standin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random-weight Inception weights file (made once for this file's tests)."""
    try:
        inception.torch_fidelity_inception()
    except UserError as error:
        pytest.skip(f"torch-fidelity cannot be imported: {error}")
    path = tmp_path_factory.mktemp("standin") / inception.INCEPTION_WEIGHTS_NAME
    write_standin(path)
    return path


@pytest.fixture
def torch_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty torch-fidelity cache, and no GPU."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    return tmp_path / "torch"


def test_the_mnist_recipe_reports_fid_at_both_evaluations(standin: Path, torch_home: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    inception.cached_weights().parent.mkdir(parents=True)
    shutil.copyfile(standin, inception.cached_weights())  # as if torch-fidelity had fetched them
    root = fake_mnist(tmp_path / "mnist", count=100)
    argv = ["train", "--preset", "wgan-gp-mnist", "--steps", "20", "--set", "eval.every=10",
            "--set", f"data.root={json.dumps(str(root))}", "--set", "eval.image_samples=40",
            "--set", "eval.figures=false", "--set", "eval.diagnostics=false", "--outdir", str(tmp_path / "runs")]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1] == ("image metrics fid, kid, is, pr, modes on inception features (eval.extractor auto: "
                      "torch-fidelity's InceptionV3 and resize (the standard FID, KID and IS protocol))")
    (run,) = (tmp_path / "runs").iterdir()
    assert runlogs.read_config(run).eval.extractor == "inception"
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [record["step"] for record in records] == [10, 20]
    for record in records:
        assert record["fid_40"] > 0 and record["protocol"]["extractor"] == "inception"
    assert records[0]["fid_40"] != records[1]["fid_40"]


def _fetching(standin: Path, failure: Exception | None):
    def download_url_to_file(url: str, dst: str, *args: object, **kwargs: object) -> None:  # the network call
        if failure is not None:
            raise failure
        assert url.endswith(inception.INCEPTION_WEIGHTS_NAME)
        shutil.copyfile(standin, dst)

    return download_url_to_file


def test_weights_not_cached_are_fetched_by_torch_fidelity_at_start(standin: Path, torch_home: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.hub, "download_url_to_file", _fetching(standin, None))
    resolved, said = build.resolved(configuration.load(overrides=["data.name=cifar10"]))
    assert resolved.eval.extractor == "inception" and "torch-fidelity's InceptionV3" in said[0]
    assert inception.cached_weights().read_bytes() == standin.read_bytes()  # in torch-fidelity's cache now


def test_offline_without_cached_weights_metrics_are_off_and_one_line_says_what_to_put_where(
        standin: Path, torch_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    failure = URLError("[Errno -3] Temporary failure in name resolution")
    tries: list[str] = []
    fetch = _fetching(standin, failure)
    monkeypatch.setattr(torch.hub, "download_url_to_file", lambda *args, **kwargs: (tries.append(args[0]),
                                                                                    fetch(*args, **kwargs)))
    resolved, (line,) = build.resolved(configuration.load(overrides=["data.name=folder"]))
    assert resolved.eval.metrics == ()
    again, _ = build.resolved(configuration.load(overrides=["data.name=cifar10", "train.seed=1"]))
    assert again.eval.metrics == () and len(tries) == 1  # tried once per process (a sweep's members do not wait)
    assert line.startswith("image metrics off: cannot fetch the Inception weights (")
    assert f"put {inception.INCEPTION_WEIGHTS_NAME} in {inception.cached_weights().parent}" in line
    assert "\n" not in line


def test_pytorch_fid_statistics_give_the_fid_our_own_reference_gives(standin: Path, torch_home: Path,
                                                                     tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "real.npz", images=rng.integers(0, 256, (30, 12, 12, 3), dtype=np.uint8))
    np.savez(tmp_path / "fake.npz", images=rng.integers(0, 200, (30, 12, 12, 3), dtype=np.uint8))
    common = ["--extractor", "inception", "--extractor-weights", str(standin)]
    for kind, extra in (("ours", []), ("published", ["--format", "pytorch-fid"])):
        assert cli.main(["stats", "npz", "--root", str(tmp_path / "real.npz"), *common, *extra,
                         "--out", str(tmp_path / f"{kind}.npz")]) == 0
    with np.load(tmp_path / "published.npz") as published:
        assert sorted(published.files) == ["mu", "sigma"] and published["sigma"].dtype == np.float64
    fids = []
    for kind in ("ours", "published"):
        capsys.readouterr()
        assert cli.main(["evaluate", str(tmp_path / "fake.npz"), *common, "--metrics", "fid",
                         "--reference", str(tmp_path / f"{kind}.npz")]) == 0
        fids.append(float(capsys.readouterr().out.splitlines()[-1].split(" = ")[1]))
    assert fids[0] == fids[1] and fids[0] > 0
