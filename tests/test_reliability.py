"""Runs are never silently corrupted, lost or stuck (issue 10): checksummed checkpoints, foreign and loose
checkpoints, run numbers, the run lock, logs cut short by a crash, leftovers of interrupted writes."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import torch

from tests.hostile import refused
from tests.tiny import TINY
from wganlab import cli, rundir, runlogs
from wganlab.errors import UserError
from wganlab.training import checkpoint

SHORT = [*TINY, "--steps", "10", "--set", "train.checkpoint_every=5", "--set", "eval.every=0",
         "--set", "train.log_every=1"]


@pytest.fixture
def run(tmp_path: Path) -> Path:
    assert cli.main(["train", *SHORT, "--outdir", str(tmp_path / "runs")]) == 0
    (folder,) = (tmp_path / "runs").iterdir()
    return folder


def _flip_a_bit_inside_the_largest_tensor(path: Path) -> None:
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        largest = max((i for i in archive.infolist() if "/data/" in i.filename), key=lambda info: info.file_size)
    name_length = int.from_bytes(data[largest.header_offset + 26 : largest.header_offset + 28], "little")
    extra_length = int.from_bytes(data[largest.header_offset + 28 : largest.header_offset + 30], "little")
    start = largest.header_offset + 30 + name_length + extra_length
    data[start + largest.file_size // 2] ^= 0x10
    path.write_bytes(bytes(data))


def test_a_flipped_bit_in_a_tensor_is_one_line_everywhere(run: Path, capsys) -> None:
    latest = rundir.checkpoint_path(run, 10)
    _flip_a_bit_inside_the_largest_tensor(latest)
    torch.load(latest, weights_only=True)  # torch alone does not notice
    for argv in (["train", "--resume", str(run), "--steps", "20"], ["evaluate", str(run)], ["diagnose", str(run)]):
        assert "fails its checksum" in refused(argv, capsys)
    assert cli.main(["train", "--resume", str(rundir.checkpoint_path(run, 5)), "--steps", "20"]) == 0  # the earlier one


@pytest.mark.parametrize(("change", "needle"), [
    (lambda p: p.pop("critic_optimizer"), "'critic_optimizer' holds nothing"),
    (lambda p: p.update(step="10"), "'step' holds str"),
    (lambda p: p.update(rng=[1, 2]), "'rng' holds list"),
    (lambda p: p["config"]["model"].update(width="wide"), "the checkpoint's config is not valid"),
])
def test_a_malformed_checkpoint_with_a_valid_marker_is_one_line(run: Path, capsys, change, needle) -> None:
    path = rundir.checkpoint_path(run, 10)
    payload = checkpoint.read(path)
    change(payload)
    payload[checkpoint.CHECKSUM] = checkpoint.digest(payload)  # well written, wrongly made
    torch.save(payload, path)
    assert needle in refused(["train", "--resume", str(run), "--steps", "20"], capsys)


def test_a_foreign_checkpoint_is_refused_and_the_run_is_untouched(run: Path, tmp_path: Path, capsys) -> None:
    other = tmp_path / "other"
    assert cli.main(["train", *SHORT, "--set", "model.width=8", "--outdir", str(other)]) == 0
    (foreign,) = other.iterdir()
    shutil.copy(rundir.checkpoint_path(foreign, 10), rundir.checkpoint_path(run, 15))
    before = {name: (run / name).read_bytes() for name in ("config.json", "stats.jsonl", "metrics.jsonl")}
    error = refused(["train", "--resume", str(run), "--steps", "20"], capsys)
    assert "model.width = 8" in error and "has 16" in error and "belongs to another run" in error
    assert {name: (run / name).read_bytes() for name in before} == before


def test_a_loose_checkpoint_starts_a_new_run_folder(run: Path, tmp_path: Path, capsys) -> None:
    loose = tmp_path / "somewhere" / "mine.pt"
    loose.parent.mkdir()
    shutil.copy(rundir.checkpoint_path(run, 10), loose)
    assert cli.main(["train", "--resume", str(loose), "--steps", "15", "--outdir", str(tmp_path / "new")]) == 0
    assert sorted(p.name for p in loose.parent.iterdir()) == ["mine.pt"]  # nothing written beside it
    (made,) = (tmp_path / "new").iterdir()
    assert runlogs.read_run(made).step == 15 and rundir.checkpoints(made)[-1].name == "checkpoint-0000015.pt"


def test_a_six_digit_run_number_is_counted(tmp_path: Path) -> None:
    (tmp_path / "123456-big").mkdir()
    (tmp_path / "00007-small").mkdir()
    assert rundir.create(tmp_path, "next").name == "123457-next"


def _create_many(root: str, name: str, count: int) -> list[str]:
    return [rundir.create(Path(root), name).name for _ in range(count)]


def test_two_concurrent_creators_never_share_a_number(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    with context.Pool(2) as pool:
        made = pool.starmap(_create_many, [(str(tmp_path), "alpha", 150), (str(tmp_path), "beta", 150)])
    numbers = [int(name.split("-")[0]) for names in made for name in names]
    assert len(numbers) == 300 and sorted(numbers) == list(range(300))
    assert not list(tmp_path.glob(".reserving-*"))


HOLD = ("import sys, time; from pathlib import Path; from wganlab import rundir; "
        "lock = rundir.RunLock(Path(sys.argv[1])); print('held', flush=True); time.sleep(60)")


def test_a_second_writer_is_refused_naming_the_first(run: Path, capsys) -> None:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1] / "src"))
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(run)], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        before = (run / "stats.jsonl").read_bytes()
        error = refused(["train", "--resume", str(run), "--steps", "20"], capsys)
        assert f"is being trained by process {holder.pid}" in error
        assert (run / "stats.jsonl").read_bytes() == before  # refused before cutting its logs back
    finally:
        holder.kill()
        holder.wait()
    assert cli.main(["train", "--resume", str(run), "--steps", "12"]) == 0  # the lock died with its holder


def test_logs_cut_short_by_a_crash_are_read_and_resumed(run: Path, capsys) -> None:
    with open(run / "stats.jsonl", "a") as stream:
        stream.write('{"step": 11, "critic/lo')  # a write cut short
    assert runlogs.read_run(run).stats[-1]["step"] == 10
    stray = run / "checkpoints" / ".checkpoint-0000015.pt.x1y2.tmp"
    stray.write_bytes(b"half a checkpoint")
    assert cli.main(["train", "--resume", str(run), "--steps", "15"]) == 0
    assert not stray.exists()
    steps = [json.loads(line)["step"] for line in (run / "stats.jsonl").read_text().splitlines()]
    assert steps == sorted(set(steps)) and steps[-1] == 15


def test_a_damaged_line_in_the_middle_of_a_log_is_one_line(run: Path) -> None:
    lines = (run / "stats.jsonl").read_text().splitlines()
    lines[0] = lines[0][:-3]
    (run / "stats.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(UserError, match=r"stats.jsonl line 1 is damaged"):
        runlogs.read_run(run)


def test_a_damaged_config_json_or_summary_is_handled(run: Path, capsys) -> None:
    (run / "summary.json").write_text("{")
    assert runlogs.read_run(run).summary is None  # rewritten at the next finish
    (run / "config.json").write_bytes(b"\xff\xfe not json")
    assert "config.json is not valid JSON" in refused(["report", str(run)], capsys)


@pytest.mark.parametrize(("settings", "part"), [
    (["model.width=1000000"], "networks"),
    (["model.latent_dim=1000000", "model.width=100000"], "networks"),
    (["train.batch_size=100000000"], "activations"),
    (["eval.w1_samples=1000000"], "evaluation"),
])
def test_sizes_a_machine_cannot_hold_are_refused_before_allocating(tmp_path: Path, capsys, settings, part) -> None:
    overrides = [item for setting in settings for item in ("--set", setting)]
    error = refused(["train", *overrides, "--outdir", str(tmp_path)], capsys)
    assert "this config needs about" in error and "GB available" in error and part in error
    assert not tmp_path.exists() or not list(tmp_path.iterdir())  # no run folder


def test_the_estimate_leaves_the_random_state_alone_and_passes_the_presets() -> None:
    from wganlab import config as configuration
    from wganlab.training.memory import check_memory, estimate

    before = torch.get_rng_state()
    parts = estimate(configuration.load(preset="wgan-gp-cifar"), (3, 32, 32))
    assert torch.equal(torch.get_rng_state(), before)
    assert 30e6 < parts["networks"] < 60e6  # 2.26 M parameters x 4 bytes x (weights, gradients, Adam's two)
    for preset in ("grid", "wgan-gp-mnist", "sngan-cifar"):
        config = configuration.load(preset=preset)
        check_memory(config, (1, 28, 28) if preset == "wgan-gp-mnist" else (3, 32, 32) if "cifar" in preset else (2,))


def test_os_errors_are_one_line_naming_the_path_and_the_fix(tmp_path: Path, capsys, monkeypatch) -> None:
    import errno

    from wganlab import files

    (tmp_path / "a-file").write_text("")
    assert "is not a folder" in refused(["train", "--outdir", str(tmp_path / "a-file")], capsys)
    assert "Not a directory" in refused(["train", "--outdir", str(tmp_path / "a-file" / "x")], capsys)
    (tmp_path / "folder.toml").mkdir()
    assert "is a folder" in refused(["train", str(tmp_path / "folder.toml")], capsys)
    (tmp_path / "latin1.toml").write_bytes(b"[train]\nsteps = 5 # \xe9\n")
    assert "not valid UTF-8 TOML" in refused(["train", str(tmp_path / "latin1.toml")], capsys)
    (tmp_path / "preset.toml").write_text("preset = 3\n")
    assert "must be a name in quotes" in refused(["train", str(tmp_path / "preset.toml")], capsys)
    assert "train.seed in --set must be a whole number that fits in 64 bits" in refused(
        ["train", "--set", f"train.seed={2**64}"], capsys)
    assert "train.seed must be in [0, 2**63)" in refused(["train", "--set", "train.seed=-1"], capsys)

    def full_disk(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(files.os, "fsync", full_disk)
    error = refused(["train", *SHORT, "--outdir", str(tmp_path / "runs")], capsys)
    assert "No space left on device" in error and "free space" in error
    (made,) = (tmp_path / "runs").iterdir()
    assert not [p for p in made.rglob("*") if p.name.endswith(".tmp")]  # nothing half-written


def test_decompression_is_bounded(tmp_path: Path) -> None:
    import gzip
    import zlib

    from PIL import Image

    from wganlab.data.image_cache import decode_folder
    from wganlab.data.image_formats import read_idx
    from wganlab.data.transforms import Transform

    header = (0x0803).to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in (1, 2, 2))
    compressor = zlib.compressobj(wbits=31)
    bomb = compressor.compress(header) + b"".join(compressor.compress(bytes(2**24)) for _ in range(16))
    (tmp_path / "bomb-idx3-ubyte.gz").write_bytes(bomb + compressor.flush())  # 256 MiB of zeros after 4 bytes
    with pytest.raises(UserError, match="longer than its header says"):
        read_idx(tmp_path / "bomb-idx3-ubyte.gz", 3)
    huge = (0x0803).to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in (2**31 - 1,) * 3)
    (tmp_path / "huge-idx3-ubyte.gz").write_bytes(gzip.compress(huge))
    with pytest.raises(UserError, match="more than the memory available"):
        read_idx(tmp_path / "huge-idx3-ubyte.gz", 3)
    (tmp_path / "images").mkdir()
    Image.new("1", (14000, 14000)).save(tmp_path / "images" / "bomb.png")  # 196 M pixels in a few kB
    with pytest.raises(UserError, match="bomb.png: .*decompression bomb"):
        decode_folder(tmp_path / "images", Transform(resize=8))


def test_checkpoints_from_before_checksums_still_load_and_new_ones_must_carry_one(run: Path, capsys) -> None:
    path = rundir.checkpoint_path(run, 10)
    payload = checkpoint.read(path)
    del payload[checkpoint.CHECKSUM]
    torch.save(payload, path)
    assert "fails its checksum" in refused(["train", "--resume", str(run), "--steps", "12"], capsys)
    payload["format"] = checkpoint.LEGACY  # as wganlab wrote them before: no digest to check
    torch.save(payload, path)
    assert cli.main(["train", "--resume", str(run), "--steps", "12"]) == 0
    assert checkpoint.read(rundir.checkpoint_path(run, 12))["format"] == checkpoint.FORMAT


def test_an_empty_or_damaged_figure_is_left_out_of_reports(run: Path, tmp_path: Path, capsys) -> None:
    assert cli.main(["train", *SHORT, "--set", "eval.every=5", "--outdir", str(tmp_path / "figs")]) == 0
    (folder,) = (tmp_path / "figs").iterdir()
    figures = sorted((folder / "figures").glob("eval-*.png"))
    figures[0].write_bytes(b"")
    figures[1].write_bytes(b"\x89PNG\r\n\x1a\n")  # a signature and nothing else
    assert runlogs.read_run(folder).figures == []
    assert cli.main(["report", str(folder)]) == 0
    assert cli.main(["compare", str(folder), str(run), "--out", str(tmp_path / "comparison.html")]) == 0


def test_a_read_only_or_forbidden_folder_is_one_line(tmp_path: Path, capsys, monkeypatch) -> None:
    import errno

    def refuse(self: Path, *args: object, **kwargs: object) -> None:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(self))

    monkeypatch.setattr(Path, "mkdir", refuse)  # as root, permissions cannot be taken away: simulate the system's
    error = refused(["train", *SHORT, "--outdir", str(tmp_path / "ro")], capsys)
    assert "cannot make the output folder" in error and "Read-only file system" in error


def test_an_allocation_that_fails_anyway_is_one_line(tmp_path: Path, capsys, monkeypatch) -> None:
    from wganlab.training import loop

    def allocator_fails(*args: object, **kwargs: object) -> None:
        raise RuntimeError("[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: can't allocate memory: you "
                           "tried to allocate 81920000000 bytes.")

    monkeypatch.setattr(loop, "train_step", allocator_fails)
    error = refused(["train", *SHORT, "--outdir", str(tmp_path)], capsys)
    assert "out of memory" in error and "train.batch_size" in error
