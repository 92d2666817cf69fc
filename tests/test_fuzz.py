"""Property-based fuzzing (hypothesis) of everything that reads what a user gives: config files, every config key
with values of every type (directly and as --set text), the command line's numbers and ranges, every data loader,
the checkpoint reader and the run logs. The only outcomes allowed are a result or a one-line UserError: never
another exception, never a hang. The budget is fixed (examples per test, below) so CI time stays bounded;
`WGANLAB_FUZZ_EXAMPLES=5000 pytest tests/test_fuzz.py` searches longer."""

from __future__ import annotations

import io
import math
import os
import pickle
import typing
from collections.abc import Callable

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wganlab import config as configuration
from wganlab import rundir, runlogs
from wganlab.data import image_formats
from wganlab.data.image_cache import decode_folder
from wganlab.data.transforms import Transform
from wganlab.errors import UserError
from wganlab.training import checkpoint

EXAMPLES = int(os.environ.get("WGANLAB_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def only_clear_errors(action: Callable[[], object]) -> object:
    """Run `action`: a result, or a UserError whose message is one line; anything else fails the test."""
    try:
        return action()
    except UserError as error:
        assert len(str(error).splitlines()) == 1, repr(str(error))
        return None


TOML_PIECES = st.sampled_from([
    "[train]", "[model]", "[data]", "[eval]", "[objective]", "[optim]", "[nope]", "steps = 5", "steps = -1",
    "steps = 1e9", "steps = \"5\"", "width = 0", "width = 3.5", "name = \"digits\"", "name = 7", "preset = \"grid\"",
    "preset = 3", "metrics = [\"fid\", 3]", "betas = [0.5]", "betas = [0.5, 2]", "seed = 99999999999999999999",
    "lr_critic = nan", "lr_critic = inf", "= broken", "x.y = 1", "[[train]]", "resize = -3", "flip = \"yes\"",
])


@FUZZ
@given(lines=st.lists(st.one_of(TOML_PIECES, st.text(max_size=30)), max_size=8))
def test_config_files(lines: list[str], tmp_path_factory: pytest.TempPathFactory) -> None:
    path = tmp_path_factory.mktemp("toml") / "config.toml"
    path.write_bytes("\n".join(lines).encode("utf-8", errors="replace"))
    only_clear_errors(lambda: configuration.load(path))


@FUZZ
@given(overrides=st.lists(st.one_of(
    st.builds(lambda k, v: f"{k}={v}", st.sampled_from([
        "train.steps", "train.batch_size", "model.width", "data.name", "eval.metrics", "optim.betas", "train.seed",
        "objective.penalty", "data.resize_filter", "train.on_nonfinite", "nope.key", "train", "eval.image_samples",
    ]), st.one_of(st.integers(), st.floats(), st.text(max_size=12), st.just("[1, 2]"), st.just("inf")))
    , st.text(max_size=20)), max_size=4))
def test_set_overrides(overrides: list[str]) -> None:
    only_clear_errors(lambda: configuration.load(overrides=overrides))


@FUZZ
@given(data=st.binary(max_size=300), gz=st.booleans())
def test_idx_reader(data: bytes, gz: bool, tmp_path_factory: pytest.TempPathFactory) -> None:
    import gzip

    path = tmp_path_factory.mktemp("idx") / ("x-idx3-ubyte.gz" if gz else "x-idx3-ubyte")
    path.write_bytes(gzip.compress(data) if gz else data)
    only_clear_errors(lambda: image_formats.read_idx(path, 3))


@FUZZ
@given(value=st.recursive(st.one_of(st.none(), st.integers(), st.binary(max_size=40), st.text(max_size=5)),
                          lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                  st.dictionaries(st.sampled_from([b"data", b"labels", "x"]), inner,
                                                                  max_size=3)), max_leaves=10))
def test_cifar_reader(value: object, tmp_path_factory: pytest.TempPathFactory) -> None:
    folder = tmp_path_factory.mktemp("cifar")
    (folder / "test_batch").write_bytes(pickle.dumps(value))
    only_clear_errors(lambda: image_formats.read_cifar10(folder, ["test_batch"]))


ARRAYS = st.one_of(
    st.builds(lambda shape, dtype: np.zeros(shape, dtype=dtype),
              st.lists(st.integers(0, 6), min_size=0, max_size=5).map(tuple),
              st.sampled_from([np.uint8, np.float32, np.float64, np.int64, np.bool_, np.complex64])),
    st.builds(lambda v: np.full((2, 3, 3), v, dtype=np.float64), st.floats()),
)


@FUZZ
@given(images=ARRAYS, labels=st.one_of(st.none(), ARRAYS), npz=st.booleans(), damage=st.integers(0, 200))
def test_array_reader(images: np.ndarray, labels: np.ndarray | None, npz: bool, damage: int,
                      tmp_path_factory: pytest.TempPathFactory) -> None:
    path = tmp_path_factory.mktemp("npz") / ("x.npz" if npz else "x.npy")
    buffer = io.BytesIO()
    if npz:
        np.savez(buffer, images=images, **({} if labels is None else {"labels": labels}))
    else:
        np.save(buffer, images)
    data = bytearray(buffer.getvalue())
    if damage and data:
        data = data[: len(data) * damage // 200]  # cut it short somewhere
    path.write_bytes(bytes(data))
    only_clear_errors(lambda: image_formats.read_array(path))


def _png(width: int, height: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (10, 20, 30)).save(buffer, "PNG")
    return buffer.getvalue()


@FUZZ
@given(cut=st.integers(0, 100), flip=st.integers(0, 10_000), name=st.sampled_from(["a.png", "b.jpg", "c.webp"]))
def test_image_folder(cut: int, flip: int, name: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    folder = tmp_path_factory.mktemp("folder")
    data = bytearray(_png(9, 7))
    data = data[: max(1, len(data) * cut // 100)] if cut else data
    data[flip % len(data)] ^= 0x5A
    (folder / name).write_bytes(bytes(data))
    only_clear_errors(lambda: decode_folder(folder, Transform(resize=4), cache=False, progress=False))


@pytest.fixture(scope="module")
def good_checkpoint() -> bytes:
    from wganlab.training.build import build

    config = configuration.with_values(configuration.load(), {"model.width": 8, "model.depth": 1})
    _, state = build(config)
    return checkpoint.encode(state, config, (2,))


@FUZZ
@given(position=st.floats(0, 1), bit=st.integers(0, 7), cut=st.booleans())
def test_checkpoint_reader(good_checkpoint: bytes, position: float, bit: int, cut: bool) -> None:
    data = bytearray(good_checkpoint)
    index = min(int(position * len(data)), len(data) - 1)
    if cut:
        data = data[:index]
    else:
        data[index] ^= 1 << bit
    payload = only_clear_errors(lambda: checkpoint.decode(bytes(data), "fuzzed"))
    if payload is not None:  # the change missed everything that matters: what loads is what was written
        original = checkpoint.decode(good_checkpoint, "original")
        assert payload[checkpoint.CHECKSUM] == original[checkpoint.CHECKSUM] == checkpoint.digest(payload)
        for key in ("generator", "critic"):
            assert all(torch.equal(payload[key][name], original[key][name]) for name in original[key])


@FUZZ
@given(lines=st.lists(st.one_of(st.binary(max_size=40), st.sampled_from([b'{"step": 1}', b'{"step": "x"}', b"[]",
                                                                          b'{"step": 2, "a": NaN}', b"\xff"])),
                      max_size=6), newline=st.booleans())
def test_run_logs(lines: list[bytes], newline: bool, tmp_path_factory: pytest.TempPathFactory) -> None:
    path = tmp_path_factory.mktemp("logs") / "stats.jsonl"
    path.write_bytes(b"\n".join(lines) + (b"\n" if newline else b""))
    only_clear_errors(lambda: list(rundir.read_jsonl(path)))


@FUZZ
@given(text=st.binary(max_size=200))
def test_run_config_json(text: bytes, tmp_path_factory: pytest.TempPathFactory) -> None:
    folder = tmp_path_factory.mktemp("run")
    (folder / rundir.CONFIG).write_bytes(text)
    only_clear_errors(lambda: runlogs.read_config(folder))


def test_the_fuzzed_readers_are_the_ones_users_reach() -> None:
    """The fuzzing would prove little if a reader it feeds were not the one the CLI uses."""
    from wganlab.data import images

    assert images.formats is image_formats and images.decode_folder is decode_folder


# Every config key with values of every type: integers past int64, NaN, infinities, negative counts, empty or
# multi-line strings, lists where scalars belong; what is accepted must be a config a run can use.
KEYS = [f"{section}.{name}" for section, table in configuration.SECTIONS.items()
        for name in typing.get_type_hints(table)]
EXTREMES = [2**63, 2**63 - 1, -(2**63) - 1, 10**26, 10**309, 10**9 + 1, 10**8 + 1, 2**20 + 1, 0, -1, -5]
ANY_VALUE = st.one_of(
    st.integers(min_value=-(2**80), max_value=2**80), st.sampled_from(EXTREMES),
    st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
    st.text(max_size=8), st.sampled_from(["", "\n", "a\nb", "a\rb", "a\u2028b", "nan", "inf", " "]),
    st.lists(st.one_of(st.integers(), st.floats(), st.text(max_size=3)), max_size=3),
)


def _sound(config: configuration.Config) -> None:
    """Every number of an accepted config is one a run can hold: an int64, a finite float."""
    def leaves(value: object) -> list[object]:
        if isinstance(value, dict):
            return [leaf for item in value.values() for leaf in leaves(item)]
        return [leaf for item in value for leaf in leaves(item)] if isinstance(value, (list, tuple)) else [value]

    for leaf in leaves(configuration.to_dict(config)):
        if isinstance(leaf, float):
            assert math.isfinite(leaf), leaf
        elif isinstance(leaf, int):
            assert -(2**63) <= leaf < 2**63, leaf
        elif isinstance(leaf, str):
            assert leaf.splitlines() in ([], [leaf]), leaf


@FUZZ
@given(key=st.sampled_from(KEYS), value=ANY_VALUE)
def test_every_config_key_takes_a_sound_value_or_refuses_it_in_one_line(key: str, value: object) -> None:
    from wganlab.training.validation import validate

    config = only_clear_errors(lambda: configuration.with_values(configuration.Config(), {key: value}))
    if config is not None:
        _sound(config)
        only_clear_errors(lambda: validate(config))


SET_TEXT = st.one_of(st.integers(min_value=-(2**80), max_value=2**80).map(str), st.floats().map(repr),
                     st.sampled_from(["nan", "inf", "-inf", "1e400", "[1, 2]", "[]", '""', "{}", "", "a = 1",
                                      "99999999999999999999999999", "0x7fffffffffffffff", "1_000", "true",
                                      "1" * 310, "1" * 5000, '"a\\rb"']),
                     st.text(max_size=10))


@FUZZ
@given(key=st.sampled_from(KEYS), text=SET_TEXT)
def test_every_config_key_through_set_text(key: str, text: str) -> None:
    config = only_clear_errors(lambda: configuration.load(overrides=[f"{key}={text}"]))
    if config is not None:
        _sound(config)


NUMBER_TEXT = st.one_of(st.integers(min_value=-(2**70), max_value=2**70).map(str),
                        st.sampled_from(["1e12", "abc", "", "nan", "inf", "-1", "0", "0x10", "1_000", " 5", "\u0663",
                                         "0-2000000", ",,,", "3-1", "5,5", "1000000000000", "1" * 5000, "1" * 310,
                                         f"0-{2**63 - 1}", f"1-{'9' * 5000}"]),
                        st.text(max_size=8))


def _command_lines(value: str, missing: str) -> list[list[str]]:
    """Commands that read a number or range from the command line and stop early (a dry run, or a missing run)."""
    tiny = ["--set", "model.width=4", "--set", "model.depth=1"]
    return [
        ["train", *tiny, "--dry-run", "--steps", value],
        ["train", *tiny, "--dry-run", "--set", f"train.log_every={value}"],
        ["sweep", *tiny, "--dry-run", "--seeds", value],
        ["sweep", *tiny, "--dry-run", "--grid", f"objective.clip_value={value}"],
        ["sweep", *tiny, "--dry-run", "--steps", value, "--seeds", "0"],
        ["sample", missing, "--count", value, "--grid", missing + ".png"],
        ["sample", missing, "--seed", value, "--grid", missing + ".png"],
        ["evaluate", missing, "--samples", value],
        ["claims", "--only", "99", "--seeds", value],
        ["claims", "--only", "99", "--jobs", value],
        ["stats", "digits", "--resize", value, "--out", missing],
    ]


@FUZZ
@given(value=NUMBER_TEXT, which=st.integers(0, 10))
def test_command_line_numbers_end_in_a_result_or_one_line(value: str, which: int,
                                                          tmp_path_factory: pytest.TempPathFactory) -> None:
    import contextlib

    from wganlab import cli

    missing = str(tmp_path_factory.mktemp("cli") / "missing")
    argv = _command_lines(value, missing)[which]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(argv)  # argparse's exits included: a SystemExit past main fails the test
    lines = err.getvalue().splitlines()
    assert code == 0 or (code == 2 and len(lines) == 1 and lines[0].startswith("wganlab: error: ")), (argv, code,
                                                                                                       err.getvalue())
