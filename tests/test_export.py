"""A trained generator taken away: `wganlab sample`, `wganlab export` and `wganlab.load_generator` (from the run
folder and from the exported file) give bitwise the same images for a seed, with the training data moved away;
the commands that need the data say so in one line; a checkpoint of another run or a bad --out is one line (a
hostile file: tests/test_export_hostile.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import wganlab
from tests.hostile import refused
from tests.tiny import DIGITS
from wganlab import cli, rundir
from wganlab.data.image_formats import unit_to_uint8
from wganlab.errors import UserError
from wganlab.integrity import file_digest
from wganlab.training import checkpoint

COUNT, SEED = 40, 5


@pytest.fixture(scope="module")
def moved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A 20-step run on a folder of PNGs named by a relative data.root, the folder then moved away: (run folder,
    where the data was, where it is now)."""
    root = tmp_path_factory.mktemp("export")
    faces = root / "faces"
    faces.mkdir()
    rng = np.random.default_rng(0)
    for index in range(24):
        Image.fromarray(rng.integers(0, 256, (8, 8), dtype=np.uint8)).save(faces / f"{index:02d}.png")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WGANLAB_CACHE", str(root / "cache"))
        patch.chdir(root)
        argv = ["train", *DIGITS, "--set", "data.name=folder", "--set", "data.root=faces", "--steps", "20",
                "--set", "eval.every=0", "--set", "eval.extractor=digits-classifier", "--set", "eval.metrics=['fid']",
                "--outdir", "runs"]
        assert cli.main(argv) == 0
    run = next((root / "runs").iterdir())
    now = root / "elsewhere"
    faces.rename(now)
    return run, faces, now


@pytest.fixture
def no_data_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading any data set fails the test."""

    def read(*args: object, **kwargs: object) -> None:
        raise AssertionError("the training data was read")

    monkeypatch.setattr("wganlab.data.datasets.build_dataset", read)
    monkeypatch.setattr("wganlab.training.snapshot.build_dataset", read)


def _npz(path: Path) -> np.ndarray:
    with np.load(path) as file:
        return file["images"]


def test_a_relative_data_root_is_stored_resolved_beside_the_path_as_given(moved) -> None:
    run, faces, _ = moved
    data = json.loads((run / rundir.CONFIG).read_text())["data"]
    assert data["root"] == str(faces) and data["root_given"] == "faces"


@pytest.mark.usefixtures("no_data_read")
def test_sample_export_and_load_generator_give_the_same_images_without_the_data(moved, tmp_path, capsys) -> None:
    run, _, _ = moved
    exported = tmp_path / "g.safetensors"
    sampled = ["--count", str(COUNT), "--seed", str(SEED)]
    assert cli.main(["sample", str(run), *sampled, "--out", str(tmp_path / "a.npz")]) == 0
    assert cli.main(["export", str(run), "--out", str(exported)]) == 0
    assert f"wrote {exported}: the EMA generator at step 20" in capsys.readouterr().out
    assert cli.main(["sample", str(exported), *sampled, "--out", str(tmp_path / "b.npz")]) == 0
    from_run, from_file = wganlab.load_generator(run), wganlab.load_generator(str(exported))
    for generator in (from_run, from_file):
        assert (generator.latent_dim, generator.shape, generator.value_range) == (8, (1, 8, 8), (-1.0, 1.0))
        assert generator.ema and generator.step == 20 and not generator.module.training
        assert not any(parameter.requires_grad for parameter in generator.module.parameters())
    images = from_run.sample(COUNT, seed=SEED)
    assert torch.equal(from_file.sample(COUNT, seed=SEED), images)
    with torch.no_grad():  # the module itself, on the latents sample() draws
        latents = torch.randn(COUNT, 8, generator=torch.Generator().manual_seed(SEED))
        assert torch.equal(from_file.module(latents), images)
    as_written = unit_to_uint8(images).permute(0, 2, 3, 1).numpy()
    assert np.array_equal(_npz(tmp_path / "a.npz"), as_written)
    assert np.array_equal(_npz(tmp_path / "b.npz"), as_written)
    assert not torch.equal(from_run.sample(COUNT, seed=SEED + 1), images)


@pytest.mark.usefixtures("no_data_read")
def test_the_export_carries_the_config_and_its_provenance(moved, tmp_path) -> None:
    from safetensors import safe_open

    run, _, _ = moved
    assert cli.main(["export", str(run), "--raw"]) == 0  # by default beside the run's checkpoints
    exported = run / "generator-0000020-raw.safetensors"
    with safe_open(str(exported), framework="pt") as file:
        metadata = file.metadata()
    provenance = json.loads(metadata["provenance"])
    latest = rundir.checkpoints(run)[-1]
    assert provenance["run"] == rundir.run_id(run) and provenance["step"] == 20
    assert provenance["checkpoint"] == str(latest.resolve())
    assert provenance["checkpoint_sha256"] == file_digest(latest)
    measured = next(rundir.read_jsonl(run / rundir.METRICS))
    assert measured["step"] == 20 and isinstance(measured["protocol"], dict) and "fid_120" in measured
    assert provenance["protocol"] == measured["protocol"]
    assert provenance["metrics"] == {k: v for k, v in measured.items() if k not in ("step", "protocol")}
    assert json.loads(metadata["config"])["data"]["root_given"] == "faces" and metadata["weights"] == "trained"
    raw = wganlab.load_generator(exported, ema=False)
    assert not raw.ema and torch.equal(raw.sample(8), wganlab.load_generator(run, ema=False).sample(8))
    with pytest.raises(UserError, match="exported with --raw"):
        wganlab.load_generator(exported)


def test_diagnose_and_report_need_the_data_and_say_where_to_point(moved, tmp_path, capsys) -> None:
    run, faces, now = moved
    line = refused(["diagnose", str(run)], capsys)
    assert str(faces) in line and "--set data.root=DIR" in line
    assert cli.main(["diagnose", str(run), "--set", f"data.root={now}"]) == 0
    assert "probe of the checkpoint at step 20" in capsys.readouterr().out
    assert cli.main(["report", str(run), "--out", str(tmp_path / "r.html")]) == 0  # the probe's place says why
    assert "--set data.root=DIR" in (tmp_path / "r.html").read_text()
    assert "only data.root=DIR can be set here" in refused(["diagnose", str(run), "--set", "train.steps=3"], capsys)


def test_a_checkpoint_older_than_its_shape_record_reads_the_data_for_it(moved, tmp_path, capsys) -> None:
    run, _, now = moved
    older = tmp_path / "older"
    shutil.copytree(run, older)
    path = rundir.checkpoints(older)[-1]
    payload = checkpoint.read(path)
    del payload["shape"]
    payload[checkpoint.CHECKSUM] = checkpoint.digest(payload)
    torch.save(payload, path)
    assert "--set data.root=DIR" in refused(["sample", str(older), "--out", str(tmp_path / "x.npz")], capsys)
    assert "--set data.root=DIR" in refused(["export", str(older), "--out", str(tmp_path / "g.safetensors")], capsys)
    assert cli.main(["sample", str(older), "--count", "8", "--seed", "1", "--out", str(tmp_path / "x.npz"),
                     "--set", f"data.root={now}"]) == 0
    expected = unit_to_uint8(wganlab.load_generator(run).sample(8, seed=1)).permute(0, 2, 3, 1).numpy()
    assert np.array_equal(_npz(tmp_path / "x.npz"), expected)
    assert cli.main(["export", str(older), "--out", str(tmp_path / "g.safetensors"), "--set", f"data.root={now}"]) == 0
    assert torch.equal(wganlab.load_generator(tmp_path / "g.safetensors").sample(8, seed=1),
                       wganlab.load_generator(run).sample(8, seed=1))


def test_a_run_whose_data_moved_resumes_with_set_data_root(moved, tmp_path, capsys) -> None:
    run, faces, now = moved
    copy = tmp_path / "copy"
    shutil.copytree(run, copy)
    line = refused(["train", "--resume", str(copy), "--steps", "22"], capsys)
    assert str(faces) in line and "--set data.root=DIR" in line
    assert "drop CONFIG, --preset and --set" in refused(
        ["train", "--resume", str(copy), "--steps", "22", "--set", "train.seed=3"], capsys)
    assert cli.main(["train", "--resume", str(copy), "--steps", "22", "--set", f'data.root="{now}"']) == 0
    data = json.loads((copy / rundir.CONFIG).read_text())["data"]
    assert (data["root"], data["root_given"]) == (str(now), "")  # quoted as --set reads values; absolute
    assert rundir.checkpoints(copy)[-1].name == "checkpoint-0000022.pt"
    assert "only data.root=DIR" not in refused(["train", "--resume", str(copy), "--steps", "24", "--set",
                                                 "data.root="], capsys)  # empty: the resume's own refusal
    (tmp_path / "wide").mkdir()
    Image.new("L", (9, 9)).save(tmp_path / "wide" / "a.png")  # data of another shape
    capsys.readouterr()
    assert cli.main(["train", "--resume", str(copy), "--steps", "24", "--set", f"data.root={tmp_path / 'wide'}"]) == 2
    *decoded, line = capsys.readouterr().err.splitlines()  # (the decoding's own line, then the refusal)
    assert "has samples of shape (1, 9, 9), the run trained on (1, 8, 8)" in line and len(decoded) <= 1
    older = copy / rundir.CHECKPOINTS / "checkpoint-0000020.pt"  # trained with the data where it was
    assert cli.main(["export", str(older), "--out", str(tmp_path / "g.safetensors")]) == 0


def test_a_loose_checkpoint_is_exported_beside_itself(moved, tmp_path) -> None:
    run, _, _ = moved
    loose = tmp_path / "mine.pt"
    shutil.copy(rundir.checkpoints(run)[-1], loose)
    assert cli.main(["export", str(loose)]) == 0
    generator = wganlab.load_generator(tmp_path / "generator-0000020.safetensors")
    assert generator.provenance["run_folder"] is None and generator.provenance["metrics"] is None
    assert torch.equal(generator.sample(6), wganlab.load_generator(run).sample(6))


def test_a_run_without_ema_exports_its_trained_weights(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("WGANLAB_CACHE", str(tmp_path / "cache"))
    argv = ["train", *DIGITS, "--set", "train.ema_decay=0", "--steps", "2", "--set", "eval.every=0"]
    assert cli.main([*argv, "--outdir", str(tmp_path / "runs")]) == 0
    run = next((tmp_path / "runs").iterdir())
    assert cli.main(["export", str(run), "--out", str(tmp_path / "g.safetensors")]) == 0
    exported = wganlab.load_generator(tmp_path / "g.safetensors")  # ema=True: the trained weights, all it has
    assert not exported.ema and torch.equal(exported.sample(6), wganlab.load_generator(run, ema=False).sample(6))


def test_an_exported_file_loads_with_the_network_code_alone(moved, tmp_path) -> None:
    run, _, _ = moved
    exported = tmp_path / "g.safetensors"
    assert cli.main(["export", str(run), "--out", str(exported)]) == 0
    script = ("import json, sys, wganlab; g = wganlab.load_generator(sys.argv[1]); g.sample(4); "
              "print(json.dumps(sorted(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", script, str(exported)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    modules = set(json.loads(done.stdout))
    ours = {name for name in modules if name.split(".")[0] == "wganlab"}
    outside = {"wganlab", "wganlab.config", "wganlab.config_values", "wganlab.errors", "wganlab.files",
               "wganlab.integrity", "wganlab.parts", "wganlab.presets", "wganlab.presets_r3gan",
               "wganlab.presets_conditional", "wganlab.generator"}  # JSON and digests
    assert {"wganlab.models.portable", "wganlab.models.architectures"} <= ours
    assert {name for name in ours if not name.startswith("wganlab.models")} <= outside, ours
    assert "safetensors" in modules
    assert not modules & {"PIL", "matplotlib", "scipy", "sklearn", "ot"}  # (tqdm: torch.hub imports it)


def test_a_checkpoint_of_another_run_is_refused_in_one_line(moved, tmp_path, capsys) -> None:
    run, _, _ = moved
    other = tmp_path / "other"
    shutil.copytree(run, other)
    (other / rundir.IDENTITY).write_text(json.dumps({"id": "0" * 32}))  # another run, with this run's checkpoint
    assert "belongs to run" in refused(["export", str(other), "--out", str(tmp_path / "g.safetensors")], capsys)
    assert "belongs to run" in refused(["sample", str(other), "--out", str(tmp_path / "x.npz")], capsys)
    with pytest.raises(UserError, match="belongs to run"):
        wganlab.load_generator(other)
    assert not (tmp_path / "g.safetensors").exists()


@pytest.mark.parametrize(
    ("out", "message"),
    [("g.pt", "must end in .safetensors"), ("missing/g.safetensors", "does not exist"),
     ("taken.safetensors", "exists")],
)
def test_export_refuses_a_bad_out_in_one_line(moved, tmp_path, capsys, out, message) -> None:
    run, _, _ = moved
    (tmp_path / "taken.safetensors").write_bytes(b"mine")
    assert message in refused(["export", str(run), "--out", str(tmp_path / out)], capsys)
    assert (tmp_path / "taken.safetensors").read_bytes() == b"mine"
