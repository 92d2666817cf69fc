"""Nothing silently wrong, part 2: no command replaces an existing file unless given --force, a checkpoint is tied to
its run, and every hostile input of the kinds a probe found (argparse's usage block, library warnings, numbers past
int64, absurd counts and ranges) ends in exactly one stderr line and exit code 2, with nothing written."""

from __future__ import annotations

import io
import json
import pickle
import shutil
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from tests.hostile import refused
from tests.tiny import TINY
from wganlab import cli, rundir
from wganlab.training import checkpoint


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two toy runs of the same config but for the seed: their checkpoints match each other's config."""
    root = tmp_path_factory.mktemp("two")
    for seed in (0, 1):
        assert cli.main(["train", *TINY, "--set", f"train.seed={seed}", "--steps", "4", "--set", "eval.every=0",
                         "--set", "eval.figures=false", "--outdir", str(root)]) == 0
    first, second = sorted(root.iterdir())
    return first, second


# 1. No existing file replaced unless asked

def test_sample_replaces_neither_an_npz_nor_a_grid_without_force(digits_run: Path, tmp_path: Path, capsys) -> None:
    kept = tmp_path / "training-data.npz"
    kept.write_bytes(b"the user's own file")
    grid = tmp_path / "grid.png"
    grid.write_bytes(b"another file of theirs")
    assert "--force" in refused(["sample", str(digits_run), "--count", "4", "--out", str(kept)], capsys)
    assert "--force" in refused(["sample", str(digits_run), "--count", "4", "--grid", str(grid)], capsys)
    assert kept.read_bytes() == b"the user's own file" and grid.read_bytes() == b"another file of theirs"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grid.png", "training-data.npz"]  # nothing half-written
    assert cli.main(["sample", str(digits_run), "--count", "4", "--out", str(kept), "--grid", str(grid),
                     "--force"]) == 0
    with np.load(kept) as saved:
        assert saved["images"].shape[0] == 4
    assert grid.read_bytes()[:4] == b"\x89PNG"


def test_stats_does_not_replace_its_out_file_without_force(tmp_path: Path, capsys) -> None:
    out = tmp_path / "reference.npz"
    out.write_bytes(b"kept")
    assert "--force" in refused(["stats", "digits", "--out", str(out)], capsys)
    assert out.read_bytes() == b"kept"
    assert cli.main(["stats", "digits", "--out", str(out), "--force"]) == 0
    assert out.read_bytes()[:2] == b"PK"


def test_report_compare_and_classifier_do_not_replace_files_without_force(two_runs, tmp_path: Path, capsys) -> None:
    first, second = two_runs
    taken = tmp_path / "taken.html"
    taken.write_text("mine")
    assert "--force" in refused(["report", str(first), "--out", str(taken)], capsys)
    assert "--force" in refused(["compare", str(first), str(second), "--out", str(taken)], capsys)
    assert "--force" in refused(["classifier", "train", "--data", "digits", "--out", str(taken)], capsys)
    assert taken.read_text() == "mine"
    assert cli.main(["report", str(first), "--out", str(taken), "--force"]) == 0
    assert taken.read_text() != "mine" and "<html" in taken.read_text()
    taken.write_text("mine")
    assert cli.main(["compare", str(first), str(second), "--out", str(taken), "--force"]) == 0
    assert taken.read_text() != "mine" and "<html" in taken.read_text()
    own = Path(shutil.copytree(first, tmp_path / first.name)) / "report.html"  # the shared run left as it is
    own.write_text("stale")
    assert cli.main(["report", str(own.parent)]) == 0  # the run's own report is brought up to date without --force
    assert own.read_text() != "stale" and "<html" in own.read_text()


# 2. A checkpoint belongs to its run

def test_a_checkpoint_copied_from_another_run_is_refused_by_every_command(two_runs, tmp_path: Path, capsys) -> None:
    first, second = (Path(shutil.copytree(run, tmp_path / run.name)) for run in two_runs)
    assert rundir.run_id(first) != rundir.run_id(second) and rundir.run_id(first) is not None
    own = rundir.checkpoints(second)[-1]
    assert checkpoint.read(own)["run"] == rundir.run_id(second)
    foreign = rundir.checkpoint_path(first, 9)  # the latest in first's folder now: second's
    shutil.copy(own, foreign)
    grid = str(tmp_path / "x.png")
    for argv in (["evaluate", str(first)], ["diagnose", str(first)], ["sample", str(first), "--grid", grid],
                 ["train", "--resume", str(first), "--steps", "12"]):
        line = refused(argv, capsys)
        assert f"belongs to run {rundir.run_id(second)}, not to {first}" in line, line
    assert "belongs to run" in refused(["evaluate", str(foreign)], capsys)  # named by its path in the folder too
    loose = tmp_path / "loose.pt"
    shutil.copy(own, loose)
    assert cli.main(["evaluate", str(loose)]) == 0  # a loose copy, outside any run folder, is measured as itself
    foreign.unlink()
    assert cli.main(["evaluate", str(first)]) == 0  # the run's own checkpoint again


def test_a_damaged_run_id_is_one_line_and_a_folder_from_before_ids_keeps_its_checkpoints(two_runs, tmp_path: Path,
                                                                                          capsys) -> None:
    first = Path(shutil.copytree(two_runs[0], tmp_path / "first"))
    identity = first / rundir.IDENTITY
    for damaged in ('{"id": "../elsewhere"}', "[1]", "not json"):
        identity.write_text(damaged)
        assert refused(["evaluate", str(first)], capsys) == (
            f"wganlab: error: {identity} is damaged (it holds no run id); restore it from a copy of the run folder")
    identity.unlink()  # as a run folder written before runs had ids: its checkpoints (carrying one) are its own
    assert rundir.run_id(first) is None
    assert cli.main(["evaluate", str(first)]) == 0


# 3. One line, exit code 2, for every hostile input

def test_a_corrupt_image_found_while_decoding_is_one_line(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for index in range(3):
        Image.fromarray(rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)).save(folder / f"{index}.png")
    whole = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)).save(whole, "JPEG")
    (folder / "cut.jpg").write_bytes(whole.getvalue()[: len(whole.getvalue()) * 2 // 3])  # its header intact
    line = refused(["train", "--preset", "dcgan", "--set", f"data.root={folder}", "--set", "data.name=folder",
                    "--steps", "1", "--outdir", str(tmp_path / "runs")], capsys)
    assert "cut.jpg" in line and not (tmp_path / "runs").exists()


def test_pillows_decompression_bomb_warning_is_silenced(tmp_path: Path, monkeypatch) -> None:
    from wganlab.data.image_cache import decode_folder
    from wganlab.data.transforms import Transform

    folder = tmp_path / "large"
    folder.mkdir()
    Image.new("RGB", (40, 30), (9, 9, 9)).save(folder / "a.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # 1,200 pixels: a warning (over twice: an error)
    with pytest.warns(Image.DecompressionBombWarning):
        Image.open(folder / "a.png")  # the control: Pillow warns of this image
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        decoded = decode_folder(folder, Transform(resize=8), cache=False, progress=False)
    assert decoded.pixels.shape == (1, 3, 8, 8) and caught == []


@pytest.mark.parametrize("argv, needle", [
    (["sample", "RUN", "--count", "1e12"], "--count: '1e12' is not a whole number"),
    (["sample", "RUN", "--count", "1000000000000"], "--count: 1000000000000 is not in [1, 100,000,000]"),
    (["sample", "RUN", "--seed", str(10**23)], "--seed: 100000000000000000000000 is not in"),
    (["train", "--steps", "abc"], "--steps: 'abc' is not a whole number"),
    (["train", "--nope"], "unrecognized arguments: --nope"),
    (["evaluate"], "the following arguments are required: TARGET"),
    (["evaluate", "x.npz", "--stack", "2"], "--stack: invalid choice: 2"),
])
def test_a_command_line_mistake_is_one_line_not_the_usage_block(argv, needle, capsys) -> None:
    line = refused(argv, capsys)
    assert needle in line and "usage:" not in line, line


@pytest.mark.parametrize("value, needle", [
    ("100000000000000000000000000", "model.width in --set must be a whole number that fits in 64 bits"),
    (str(2**63), "model.width in --set must be a whole number that fits in 64 bits, got 9223372036854775808"),
    ("1" * 5000, "model.width in --set must be int, got '1111"),  # past 4,300 digits TOML reads a bare word
])
def test_numbers_past_int64_are_refused_in_one_line(value: str, needle: str, capsys) -> None:
    assert needle in refused(["train", "--set", f"model.width={value}", "--dry-run"], capsys)


def test_a_raw_pickle_is_refused_without_torchs_advice_to_unpickle_it(tmp_path: Path, capsys) -> None:
    planted = tmp_path / "checkpoint-0000001.pt"
    planted.write_bytes(pickle.dumps({"format": checkpoint.FORMAT, "step": 1, "payload": Path("x")}))
    line = refused(["evaluate", str(planted)], capsys)
    assert "weights_only" not in line and "not a file torch wrote" in line, line  # a raw pickle is not torch's
    buffer = io.BytesIO()
    torch.save({"model": Path("x")}, buffer)
    classifier = tmp_path / "classifier.pt"
    classifier.write_bytes(buffer.getvalue())
    line = refused(["stats", "digits", "--extractor", "classifier", "--extractor-weights", str(classifier),
                    "--out", str(tmp_path / "r.npz")], capsys)
    assert "weights_only" not in line and "Python objects" in line, line


# 4. Nonsense refused

def test_a_grid_of_only_commas_is_refused(tmp_path: Path, capsys) -> None:
    line = refused(["sweep", *TINY, "--grid", "objective.clip_value=,,,", "--dry-run"], capsys)
    assert "gives no values" in line


def test_a_huge_seed_range_is_refused_at_once(capsys) -> None:
    started = time.perf_counter()
    line = refused(["sweep", *TINY, "--seeds", "0-2000000", "--dry-run"], capsys)
    assert "2,000,001 seeds" in line and time.perf_counter() - started < 30  # it took minutes
    assert "9,223,372,036,854,775,807 seeds" in refused(["sweep", *TINY, "--seeds", f"1-{2**63 - 1}", "--dry-run"],
                                                       capsys)
    line = refused(["sweep", *TINY, "--grid", "train.seed=" + ",".join(map(str, range(101))),
                    "--grid", "objective.penalty_weight=" + ",".join(map(str, range(1, 101))), "--dry-run"], capsys)
    assert "10,100 runs" in line


def test_a_value_out_of_range_in_a_file_is_not_hidden_by_a_later_override(tmp_path: Path, capsys) -> None:
    config = tmp_path / "run.toml"
    config.write_text("[train]\nsteps = -5\n")
    line = refused(["train", str(config), "--steps", "10", "--dry-run"], capsys)
    assert "train.steps must be in [1, 1,000,000,000] (in " in line and str(config) in line


@pytest.mark.parametrize("key, value", [("train.log_every", 10**12), ("train.checkpoint_every", 10**10),
                                        ("eval.image_samples", 10**9), ("data.resize", 100_000)])
def test_absurd_intervals_and_sizes_are_refused(key: str, value: int, capsys) -> None:
    line = refused(["train", "--set", f"{key}={value}", "--dry-run"], capsys)
    assert f"{key} must be in [" in line or f"{key} must be in [" in line.replace("data.resize and data.pad_to",
                                                                                  "data.resize"), line


def test_a_run_logs_its_last_step_whatever_its_log_interval(tmp_path: Path) -> None:
    assert cli.main(["train", *TINY, "--steps", "3", "--set", "train.log_every=1000", "--set", "eval.every=0",
                     "--set", "eval.figures=false", "--outdir", str(tmp_path)]) == 0
    (run,) = tmp_path.iterdir()
    assert [record["step"] for record in rundir.read_jsonl(run / rundir.STATS)] == [3]


def test_evaluate_samples_against_a_reference_needs_no_data(digits_run: Path, tmp_path: Path, capsys) -> None:
    reference = tmp_path / "digits.npz"
    assert cli.main(["stats", "digits", "--out", str(reference)]) == 0
    assert cli.main(["sample", str(digits_run), "--count", "40", "--out", str(tmp_path / "s.npz")]) == 0
    capsys.readouterr()
    assert cli.main(["evaluate", str(tmp_path / "s.npz"), "--reference", str(reference), "--metrics", "fid"]) == 0
    alone = capsys.readouterr().out
    assert cli.main(["evaluate", str(tmp_path / "s.npz"), "--data", "digits", "--reference", str(reference),
                     "--metrics", "fid"]) == 0
    with_data = capsys.readouterr().out
    assert "fid_40 = " in alone and alone.splitlines()[1:] == with_data.splitlines()[1:]
    line = refused(["evaluate", str(tmp_path / "s.npz")], capsys)
    assert "--data" in line and "--reference" in line
    with np.load(reference) as saved:
        arrays = dict(saved)
    about = json.loads(str(arrays["about"]))
    for name, changed in (("other-size.npz", about | {"shape": [1, 16, 16]}),
                          ("older.npz", {key: value for key, value in about.items() if key != "shape"})):
        np.savez(tmp_path / name, **(arrays | {"about": np.array(json.dumps(changed))}))
    line = refused(["evaluate", str(tmp_path / "s.npz"), "--reference", str(tmp_path / "other-size.npz"),
                    "--metrics", "fid"], capsys)
    assert "images of shape (1, 16, 16), and these are (1, 8, 8)" in line
    line = refused(["evaluate", str(tmp_path / "s.npz"), "--reference", str(tmp_path / "older.npz"),
                    "--metrics", "fid"], capsys)
    assert "does not say the shape of its images" in line
    assert cli.main(["evaluate", str(tmp_path / "s.npz"), "--data", "digits", "--reference",
                     str(tmp_path / "older.npz"), "--metrics", "fid"]) == 0
