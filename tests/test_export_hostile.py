"""A hostile generator file or checkpoint is one line, nothing executed and nothing of a size it names allocated:
a damaged, foreign or pickled file; an exported file or a checkpoint crafted with a valid digest (the digest is
unkeyed: what the file says must itself be checked); a foreign file refused before any of its tensors is read."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

import wganlab
from tests.hostile import ActsIfUnpickled, refused
from wganlab import cli, rundir
from wganlab.errors import UserError
from wganlab.models import portable
from wganlab.training import checkpoint


@pytest.fixture(scope="module")
def exported(digits_run: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the session's 2-step digits run, its exported generator)."""
    root = tmp_path_factory.mktemp("hostile-export")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WGANLAB_CACHE", str(root / "cache"))
        assert cli.main(["export", str(digits_run), "--out", str(root / "good.safetensors")]) == 0
    return digits_run, root / "good.safetensors"


def _is_one_line_everywhere(path: Path, message: str, tmp_path: Path, capsys) -> None:
    """`wganlab sample` and `load_generator` refuse `path` in one line holding `message`, writing nothing."""
    assert message in refused(["sample", str(path), "--count", "4", "--out", str(tmp_path / "x.npz")], capsys)
    with pytest.raises(UserError) as error:
        wganlab.load_generator(path)
    assert message in str(error.value) and "\n" not in str(error.value)
    assert not (tmp_path / "x.npz").exists()


def _another_tools(path: Path, good: Path) -> None:
    from safetensors.torch import save_file

    save_file({"weight": torch.ones(3, 3)}, str(path), metadata={"format": "pt"})


def _flipped(path: Path, good: Path) -> None:
    data = bytearray(good.read_bytes())
    data[-5] ^= 0x40  # a weight's byte
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda path, good: path.write_bytes(good.read_bytes()[: good.stat().st_size // 2]),
         "is damaged or not a safetensors file"),
        (_another_tools, "not a wganlab generator"),
        (_flipped, "fails its checksum"),
        (lambda path, good: torch.save({"x": ActsIfUnpickled(path.parent / "ran")}, path),
         "is damaged or not a safetensors file"),
        (lambda path, good: path.write_bytes(b""), "is damaged or not a safetensors file"),
        (lambda path, good: None, "does not exist"),
    ],
    ids=["truncated", "another-tool", "flipped-bit", "pickle", "empty", "missing"],
)
def test_a_bad_generator_file_is_one_line_and_nothing_runs(exported, tmp_path, capsys, make, message) -> None:
    bad = tmp_path / "bad.safetensors"
    make(bad, exported[1])
    _is_one_line_everywhere(bad, message, tmp_path, capsys)
    assert not (tmp_path / "ran").exists()


def test_a_foreign_file_is_refused_before_any_tensor_is_read(exported, tmp_path, monkeypatch) -> None:
    import safetensors

    opened, read = safetensors.safe_open, []

    class Watched:  # safe_open, noting each tensor read
        def __init__(self, *args: object, **kwargs: object) -> None:
            self.stream = opened(*args, **kwargs)

        def __enter__(self) -> Watched:
            self.stream.__enter__()
            return self

        def __exit__(self, *raised: object) -> None:
            self.stream.__exit__(*raised)

        def metadata(self) -> dict[str, str]:
            return self.stream.metadata()

        def keys(self) -> list[str]:
            return self.stream.keys()

        def get_tensor(self, name: str) -> torch.Tensor:
            read.append(name)
            return self.stream.get_tensor(name)

    monkeypatch.setattr(safetensors, "safe_open", Watched)
    _another_tools(tmp_path / "foreign.safetensors", exported[1])
    with pytest.raises(UserError, match="not a wganlab generator"):
        portable.read(tmp_path / "foreign.safetensors")
    assert read == []
    portable.read(exported[1])
    assert read  # (the watch sees the reads of a file that is one)


def _crafted(path: Path, good: Path, change: Callable[[dict[str, torch.Tensor], dict[str, str]], object]) -> None:
    """`good` with its tensors and metadata changed by `change` and its digest made again (a valid digest: the
    file's contents themselves must be checked)."""
    from safetensors import safe_open
    from safetensors.torch import save_file

    with safe_open(str(good), framework="pt") as file:
        metadata, weights = file.metadata(), {name: file.get_tensor(name) for name in file.keys()}  # noqa: SIM118
    change(weights, metadata)
    metadata["sha256"] = portable.digest(weights, metadata)
    save_file(weights, str(path), metadata=metadata)


def _meta(**values: str) -> Callable[[dict[str, torch.Tensor], dict[str, str]], None]:
    return lambda weights, metadata: metadata.update(values)


def _changed(section: str, key: str, value: object) -> Callable[[dict[str, torch.Tensor], dict[str, str]], None]:
    def change(weights: dict[str, torch.Tensor], metadata: dict[str, str]) -> None:
        config = json.loads(metadata["config"])
        config[section][key] = value
        metadata["config"] = json.dumps(config)

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_meta(config="null"), "its config is NoneType, not a table"),
        (_meta(config="[" * 5000), "is malformed (its JSON is nested too deeply to read"),
        (_meta(provenance="[" * 5000), "is malformed (its JSON is nested too deeply to read"),
        (_meta(shape="[1, 8]"), "is malformed (shape [1, 8])"),
        (_meta(shape="[2]"), "is malformed: its config describes a generator that cannot be built"),  # dcgan
        (_meta(shape="[1, 4096, 4096]"), "do not fit the generator its config describes"),
        (_meta(step="seven"), "is malformed (invalid literal"),
        (_meta(step="-3"), "is malformed (step -3)"),
        (_meta(step="9" * 100), "is malformed (step 999"),
        (_meta(provenance="[1]"), "is malformed (provenance not a table)"),
        (_meta(weights="both"), "is malformed (weights 'both')"),
        (_changed("train", "device", "cuda:x"), "is malformed (train.device 'cuda:x' is not a device"),
        (_changed("model", "depth", 10**9), "is malformed: its config describes a network beyond the size bounds"),
        (_changed("model", "width", 2**20), "do not fit the generator its config describes"),  # 10^13 weights
        (_changed("model", "width", 2**40), "is malformed: its config describes a network beyond the size bounds"),
        (lambda weights, metadata: weights.update(extra=torch.zeros(2)), "first difference: 'extra'"),
        (lambda weights, metadata: weights.pop(sorted(weights)[0]), "first difference"),
        (lambda weights, metadata: weights.update({name: weights[name].double() for name in list(weights)[:1]}),
         "first difference"),
    ],
    ids=["config-null", "config-nested", "provenance-nested", "shape", "points-for-images", "shape-huge",
         "step-text", "step-negative", "step-huge", "provenance", "weights", "device", "depth-10^9", "width-2^20",
         "width-2^40", "extra-tensor", "missing-tensor", "float64-tensor"],
)
def test_a_crafted_file_with_a_valid_digest_is_one_line(exported, tmp_path, capsys, change, message) -> None:
    _crafted(tmp_path / "bad.safetensors", exported[1], change)
    _is_one_line_everywhere(tmp_path / "bad.safetensors", message, tmp_path, capsys)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda payload: payload.update(shape=[2]), "is malformed: its config describes a generator that cannot be"),
        (lambda payload: payload.update(shape=[1, 4096, 4096]), "do not fit the generator its config describes"),
        (lambda payload: payload["config"]["train"].update(device="cuda:x"), "train.device 'cuda:x' is not a device"),
        (lambda payload: payload["config"]["model"].update(depth=10**9), "a network beyond the size bounds"),
        (lambda payload: payload.update(generator_ema=[1]), "its weights are list, not a table of tensors"),
    ],
    ids=["points-for-images", "shape-huge", "device", "depth-10^9", "weights-list"],
)
def test_a_crafted_checkpoint_with_a_valid_digest_is_one_line(exported, tmp_path, capsys, change, message) -> None:
    path = tmp_path / "mine.pt"  # a checkpoint in no run folder
    shutil.copy(rundir.checkpoints(exported[0])[-1], path)
    payload = checkpoint.read(path)
    change(payload)
    payload[checkpoint.CHECKSUM] = checkpoint.digest(payload)
    torch.save(payload, path)
    _is_one_line_everywhere(path, message, tmp_path, capsys)
    assert message in refused(["export", str(path), "--out", str(tmp_path / "g.safetensors")], capsys)
    assert message in refused(["evaluate", str(path)], capsys)  # opened whole, for use (training/snapshot.py)
