"""Checkpoints: a bitwise round trip of the whole state, one-line errors for bad files, light snapshots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from tests.bitwise import assert_bitwise_equal
from wganlab import config as configuration
from wganlab import rundir
from wganlab.config import Config
from wganlab.errors import UserError
from wganlab.training import checkpoint, snapshot
from wganlab.training.build import build
from wganlab.training.step import TrainState, train_step

TINY = ["model.width=16", "model.depth=1", "train.batch_size=32", "train.critic_iters=1", "eval.diagnostics=false"]


def _config(*overrides: str) -> Config:
    return configuration.load(None, "grid", [*TINY, "train.ema_decay=0.9", "train.steps=10", *overrides])


def _trained(config: Config, steps: int = 2) -> TrainState:
    """A state some steps in, so the optimisers, schedulers and EMA all hold something."""
    run, state = build(config)
    for _ in range(steps):
        train_step(run, state)
        state.step += 1
    state.train_seconds = 1.25
    return state


PARTS = (
    "generator",
    "critic",
    "generator_ema",
    "generator_optimizer",
    "critic_optimizer",
    "generator_scheduler",
    "critic_scheduler",
)


def _parts(state: TrainState) -> dict[str, Any]:
    return {name: getattr(state, name).state_dict() for name in PARTS}


@pytest.mark.parametrize("constraint", ["none", "spectral-norm"])
@pytest.mark.equivalence
def test_save_read_restore_round_trip_is_bitwise(tmp_path: Path, constraint: str) -> None:
    config = _config(f'objective.constraint="{constraint}"')
    state = _trained(config)
    global_rng = torch.get_rng_state()
    path = tmp_path / "checkpoint-0000002.pt"
    checkpoint.save(path, state, config, (2,))

    payload = checkpoint.read(path)
    assert payload["format"] == checkpoint.FORMAT and payload["step"] == 2
    assert checkpoint.config_of(payload) == config
    _, restored = build(config)
    torch.manual_seed(12345)  # restore sets the global generator back too
    checkpoint.restore(restored, payload)

    assert_bitwise_equal(_parts(restored), _parts(state))
    for name in ("rng", "data_rng"):
        assert torch.equal(getattr(restored, name).get_state(), getattr(state, name).get_state()), name
    assert torch.equal(torch.get_rng_state(), global_rng)
    assert (restored.step, restored.train_seconds) == (2, 1.25)

    # and the next step of the restored state is the next step of the original, bit for bit
    run, _ = build(config)
    train_step(run, restored)
    torch.set_rng_state(global_rng)
    train_step(run, state)
    assert_bitwise_equal(_parts(restored), _parts(state))


def test_save_without_ema_round_trips(tmp_path: Path) -> None:
    config = _config("train.ema_decay=0.0")
    state = _trained(config, steps=1)
    checkpoint.save(tmp_path / "c.pt", state, config, (2,))
    payload = checkpoint.read(tmp_path / "c.pt")
    assert payload["generator_ema"] is None
    _, restored = build(config)
    checkpoint.restore(restored, payload)
    assert_bitwise_equal(restored.generator.state_dict(), state.generator.state_dict())
    assert restored.generator_ema is None


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> tuple[Config, bytes]:
    """A real checkpoint's bytes and its config."""
    config = _config()
    path = tmp_path_factory.mktemp("saved") / "checkpoint.pt"
    checkpoint.save(path, _trained(config), config, (2,))
    return config, path.read_bytes()


def _one_line_error(call, *args) -> str:
    with pytest.raises(UserError) as error:
        call(*args)
    message = str(error.value)
    assert len(message.splitlines()) == 1, message
    return message


@pytest.mark.parametrize(
    ("damage", "needle"),
    [
        ("missing", "does not exist"),
        ("folder", "does not exist"),
        ("truncated", "is damaged or not a checkpoint"),
        ("garbage", "is damaged or not a checkpoint"),
        ("empty", "is damaged or not a checkpoint"),
        ("foreign", "is not a wganlab checkpoint"),
        ("list", "is not a wganlab checkpoint"),
        ("other-format", "is not a wganlab checkpoint"),
    ],
)
def test_read_refuses_bad_files_in_one_line(tmp_path: Path, saved, damage: str, needle: str) -> None:
    _, good = saved
    path = tmp_path / "checkpoint-0000002.pt"
    if damage == "folder":
        path.mkdir()
    elif damage == "truncated":
        path.write_bytes(good[: len(good) // 2])
    elif damage == "garbage":
        path.write_bytes(b"not a checkpoint at all")
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "foreign":
        torch.save({"weights": torch.zeros(3)}, path)
    elif damage == "list":
        torch.save([checkpoint.FORMAT], path)
    elif damage == "other-format":
        torch.save({"format": "wganlab-checkpoint-0", "step": 1}, path)
    message = _one_line_error(checkpoint.read, path)
    assert str(path) in message and needle in message


def _run_folder(tmp_path: Path, good: bytes, steps: tuple[int, ...] = (2,)) -> Path:
    folder = tmp_path / "00000-grid-grid"
    (folder / rundir.CHECKPOINTS).mkdir(parents=True)
    rundir.write_config(folder, checkpoint.config_of(checkpoint.decode(good, "the saved checkpoint")))
    for step in steps:
        rundir.checkpoint_path(folder, step).write_bytes(good)
    return folder


def test_load_snapshot_has_the_saved_networks_and_builds_no_optimiser(tmp_path: Path, saved, monkeypatch) -> None:
    config, good = saved
    folder = _run_folder(tmp_path, good)
    payload = checkpoint.read(rundir.checkpoint_path(folder, 2))

    def no_optimiser(*args, **kwargs):
        raise AssertionError("load_snapshot built an optimiser")

    monkeypatch.setattr(torch.optim.Optimizer, "__init__", no_optimiser)
    opened = snapshot.load_snapshot(rundir.checkpoint_path(folder, 2))
    assert opened.folder == folder and opened.step == 2 and opened.config == snapshot.usable_here(config)
    assert opened.generator_ema is not None and opened.sampler is opened.generator_ema
    assert_bitwise_equal(opened.generator.state_dict(), payload["generator"], "generator")
    assert_bitwise_equal(opened.critic.state_dict(), payload["critic"], "critic")
    assert_bitwise_equal(opened.generator_ema.state_dict(), payload["generator_ema"], "generator_ema")
    # the EMA copy differs from the generator after two steps, so the check above tells them apart
    assert not torch.equal(payload["generator_ema"]["net.0.weight"], payload["generator"]["net.0.weight"])
    assert opened.dataset.name == "grid"


def test_load_snapshot_of_a_run_folder_takes_its_latest_checkpoint(tmp_path: Path, saved) -> None:
    _, good = saved
    folder = _run_folder(tmp_path, good, steps=(1, 2, 10))
    assert snapshot.load_snapshot(folder).folder == folder
    # all three files hold the same payload (step 2): the newest by name is the one read
    rundir.checkpoint_path(folder, 10).write_bytes(b"damaged")
    assert "checkpoint-0000010.pt" in _one_line_error(snapshot.load_snapshot, folder)


def test_a_checkpoint_that_does_not_match_its_config_is_a_one_line_error(tmp_path: Path, saved) -> None:
    _, good = saved
    path = tmp_path / "checkpoint.pt"
    path.write_bytes(good)
    payload = checkpoint.read(path)
    payload["config"]["model"]["width"] = 8  # the weights are 16 wide
    payload[checkpoint.CHECKSUM] = checkpoint.digest(payload)  # a consistent file, written wrongly
    torch.save(payload, path)
    message = _one_line_error(snapshot.load_snapshot, path)  # the generator: checked before anything is built
    assert "is malformed: its weights do not fit the generator its config describes" in message
    path.write_bytes(good)
    payload = checkpoint.read(path)
    payload["critic"]["net.0.weight"] = payload["critic"]["net.0.weight"][:, :1]  # the critic's: when loaded
    payload[checkpoint.CHECKSUM] = checkpoint.digest(payload)
    torch.save(payload, path)
    message = _one_line_error(snapshot.load_snapshot, path)
    assert "does not match its own config" in message and "size mismatch for net.0.weight" in message


def test_restore_into_another_config_is_a_one_line_error(tmp_path: Path, saved) -> None:
    _, good = saved
    path = tmp_path / "checkpoint.pt"
    path.write_bytes(good)
    payload = checkpoint.read(path)
    _, wider = build(_config("model.width=32"))
    assert "does not match its own config" in _one_line_error(checkpoint.restore, wider, payload)
    del payload["critic"]
    _, same = build(_config())
    message = _one_line_error(checkpoint.restore, same, payload)
    assert "does not match its own config" in message and "critic" in message


@pytest.mark.parametrize("step", [-1, 2**63, 10**30])
def test_a_checkpoint_whose_step_no_counter_holds_is_one_line(tmp_path: Path, saved, step: int) -> None:
    # crafted with a valid digest: only the range check refuses it (sample's manual_seed overflowed on 10**30)
    _, good = saved
    payload = checkpoint.decode(good, "saved")
    payload["step"] = step
    payload[checkpoint.CHECKSUM] = checkpoint.digest(payload)
    path = tmp_path / "checkpoint-0000002.pt"
    torch.save(payload, path)
    message = _one_line_error(checkpoint.read, path)
    assert str(path) in message and f"its step {step} is outside [0, 2**63)" in message
