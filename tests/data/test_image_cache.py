"""Image folders decoded once into a memory-mapped uint8 cache (image_folder.py, image_cache.py)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from wganlab.data import image_cache, image_folder
from wganlab.data.image_cache import decode_folder
from wganlab.data.image_folder import list_folder
from wganlab.data.transforms import Transform
from wganlab.errors import UserError

CELEBA = Transform(crop=True, resize=16, resize_filter="bicubic")


def write_folder(root: Path, count: int = 12, size: tuple[int, int] = (30, 24), seed: int = 0) -> list[Path]:
    """`count` RGB JPEGs (width x height `size`) in two class folders, a and b."""
    rng = np.random.default_rng(seed)
    paths = []
    for index in range(count):
        path = root / "ab"[index % 2] / f"{index:03d}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)).save(path)
        paths.append(path)
    return sorted(paths)


def by_hand(path: Path, transform: Transform) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(transform.crop_and_resize(image.convert("RGB"))).transpose(2, 0, 1)


def forbid(monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"{name} was called")

    monkeypatch.setattr(module, name, fail)


def test_a_folder_decodes_to_each_image_cropped_and_resized(tmp_path: Path, capsys) -> None:
    paths = write_folder(tmp_path / "data")
    decoded = decode_folder(tmp_path / "data", CELEBA)
    assert decoded.pixels.shape == (12, 3, 16, 16) and decoded.pixels.dtype == np.uint8
    for row, path in zip(decoded.pixels, paths, strict=True):
        assert np.array_equal(row, by_hand(path, CELEBA))
    assert decoded.labels is not None and decoded.labels.tolist() == [0] * 6 + [1] * 6  # a/ sorts before b/
    assert isinstance(decoded.pixels, np.memmap)
    errors = capsys.readouterr().err
    assert f"decoding 12 images from {tmp_path / 'data'}" in errors and "done in" in errors
    in_memory = decode_folder(tmp_path / "data", CELEBA, cache=False)
    assert np.array_equal(in_memory.pixels, decoded.pixels) and in_memory.key == decoded.key


@pytest.mark.equivalence
def test_one_thread_or_many_decode_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_folder(tmp_path / "data", count=150)  # more than one chunk of 64
    many = decode_folder(tmp_path / "data", CELEBA, cache=False)
    monkeypatch.setattr(image_folder, "_workers", lambda: 1)
    one = decode_folder(tmp_path / "data", CELEBA, cache=False)
    assert np.array_equal(many.pixels, one.pixels)


def test_a_second_start_reads_the_cache_without_reading_the_files(tmp_path: Path, monkeypatch) -> None:
    write_folder(tmp_path / "data")
    first = decode_folder(tmp_path / "data", CELEBA)
    forbid(monkeypatch, image_cache, "decode_into")
    forbid(monkeypatch, image_cache, "file_digests")
    forbid(monkeypatch, image_folder, "_header")
    again = decode_folder(tmp_path / "data", CELEBA)
    assert again.key == first.key and np.array_equal(again.pixels, first.pixels)


def test_touched_files_are_checked_by_content_once(tmp_path: Path, monkeypatch) -> None:
    paths = write_folder(tmp_path / "data")
    first = decode_folder(tmp_path / "data", CELEBA)
    os.utime(paths[3], ns=(1, 1))  # same content, another modification time
    forbid(monkeypatch, image_cache, "decode_into")
    assert decode_folder(tmp_path / "data", CELEBA).key == first.key  # the content decided: no decoding
    forbid(monkeypatch, image_cache, "file_digests")
    assert decode_folder(tmp_path / "data", CELEBA).key == first.key  # and the index learnt the new times


def test_changed_content_or_transform_decodes_again(tmp_path: Path) -> None:
    paths = write_folder(tmp_path / "data")
    first = decode_folder(tmp_path / "data", CELEBA)
    first_pixels = np.array(first.pixels)
    Image.fromarray(np.zeros((24, 30, 3), dtype=np.uint8)).save(paths[5])
    os.utime(paths[5], ns=(os.stat(paths[0]).st_atime_ns, os.stat(paths[0]).st_mtime_ns))
    changed = decode_folder(tmp_path / "data", CELEBA)
    assert changed.key != first.key and (changed.pixels[5] == 0).all()
    assert np.array_equal(np.delete(changed.pixels, 5, 0), np.delete(first_pixels, 5, 0))
    other = decode_folder(tmp_path / "data", Transform(resize=8))
    assert other.key != changed.key and other.pixels.shape == (12, 3, 8, 8)
    entries = [p for p in image_cache.images_folder().iterdir() if p.name != "index"]
    assert len(entries) == 3 and not [p for p in entries if p.name.startswith(".tmp")]


@pytest.mark.parametrize("damage", ["truncated", "meta"])
def test_a_damaged_entry_is_decoded_again(tmp_path: Path, damage: str, capsys) -> None:
    write_folder(tmp_path / "data")
    first = decode_folder(tmp_path / "data", CELEBA)
    expected = np.array(first.pixels)
    entry = image_cache.images_folder() / first.key
    del first
    if damage == "truncated":
        data = (entry / "pixels.npy").read_bytes()
        (entry / "pixels.npy").write_bytes(data[: len(data) // 2])
    else:
        (entry / "meta.json").write_text("{")
    again = decode_folder(tmp_path / "data", CELEBA)
    assert np.array_equal(again.pixels, expected)
    assert "is damaged" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("a pixel", "pixels.npy changed since it was written: the digest does not match"),
        ("a label", "labels.npy changed since it was written"),
        ("an older entry", "it holds no digest: written by an older wganlab"),
    ],
)
def test_an_entry_changed_after_it_was_written_is_reported_in_one_line_and_decoded_again(
        tmp_path: Path, capsys, change: str, message: str) -> None:
    """Changed pixels or labels of the same size used to be taken as the training data without a word."""
    import json

    write_folder(tmp_path / "data")
    first = decode_folder(tmp_path / "data", CELEBA)
    expected, labels = np.array(first.pixels), np.array(first.labels)
    entry = image_cache.images_folder() / first.key
    del first
    if change == "a pixel":
        pixels = np.load(entry / "pixels.npy", mmap_mode="r+")
        pixels[3, 1, 4, 5] ^= 0xFF
        pixels.flush()
        del pixels
    elif change == "a label":
        np.save(entry / "labels.npy", 1 - labels)
    else:
        meta = json.loads((entry / "meta.json").read_text())
        del meta["digests"]
        (entry / "meta.json").write_text(json.dumps(meta))
    capsys.readouterr()
    again = decode_folder(tmp_path / "data", CELEBA)
    assert np.array_equal(again.pixels, expected) and np.array_equal(again.labels, labels)
    lines = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("decoding ")]  # progress
    assert len(lines) == 1 and message in lines[0] and str(entry) in lines[0] and "decoding again" in lines[0], lines
    capsys.readouterr()
    decode_folder(tmp_path / "data", CELEBA)  # written again: read without a word
    assert capsys.readouterr().err == ""


def test_an_entry_that_cannot_be_finished_goes_on_from_memory_in_one_line(tmp_path: Path, monkeypatch,
                                                                         capsys) -> None:
    """The disk fills after the pixels' space was claimed (the labels or the record cannot be written): the
    decoded images go on from memory, nothing half-written is left."""
    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    write_folder(tmp_path / "data")
    expected = np.array(decode_folder(tmp_path / "data", CELEBA, cache=False).pixels)
    monkeypatch.setattr(image_cache, "write_json_atomic", full)
    capsys.readouterr()
    decoded = decode_folder(tmp_path / "data", CELEBA)
    assert np.array_equal(decoded.pixels, expected) and not isinstance(decoded.pixels, np.memmap)
    lines = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("decoding ")]  # progress
    assert len(lines) == 1 and "No space left on device" in lines[0] and "going on from memory" in lines[0], lines
    assert [p.name for p in image_cache.images_folder().iterdir()] == []
    monkeypatch.setattr(image_cache, "_MEMORY_SHARE", 0.0)
    with pytest.raises(UserError) as info:
        decode_folder(tmp_path / "data", CELEBA)
    assert "would not fit in memory" in str(info.value) and "\n" not in str(info.value)
    assert [p.name for p in image_cache.images_folder().iterdir()] == []


def test_a_bad_file_is_one_line_and_leaves_nothing_behind(tmp_path: Path) -> None:
    paths = write_folder(tmp_path / "data", count=100)
    data = paths[70].read_bytes()
    paths[70].write_bytes(data[:-300])  # a truncated JPEG: the header reads, decoding fails
    with pytest.raises(UserError) as info:
        decode_folder(tmp_path / "data", CELEBA)
    message = str(info.value)
    assert str(paths[70]) in message and "fix or remove the file" in message and "\n" not in message
    assert [p.name for p in image_cache.images_folder().iterdir()] == []  # no entry, no temporary folder


def test_abandoned_temporary_entries_are_removed(tmp_path: Path) -> None:
    root = image_cache.images_folder()
    (root / ".tmp-999999999-dead").mkdir(parents=True)  # no such process
    (root / f".tmp-{os.getpid()}-alive").mkdir()
    write_folder(tmp_path / "data")
    decode_folder(tmp_path / "data", CELEBA)
    names = {p.name for p in root.iterdir()}
    assert ".tmp-999999999-dead" not in names and f".tmp-{os.getpid()}-alive" in names


@pytest.mark.parametrize("key", ["precious", "..", "../..", "0" * 31 + "/", "A" * 32, 5, None, ["x"]])
def test_an_index_naming_no_entry_is_never_followed_out_of_the_cache(tmp_path: Path, monkeypatch, capsys,
                                                                      key: object) -> None:
    """An index edited to name a folder elsewhere (an absolute path, `..`) or no name at all is no entry: nothing
    outside the cache is opened or removed, and the folder decodes as it would without it."""
    import json

    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "keep.txt").write_text("mine")
    write_folder(tmp_path / "data")
    first = decode_folder(tmp_path / "data", CELEBA)
    expected = np.array(first.pixels)
    (index,) = (image_cache.images_folder() / "index").iterdir()
    remembered = json.loads(index.read_text())
    index.write_text(json.dumps(remembered | {"key": str(precious) if key == "precious" else key}))
    capsys.readouterr()
    again = decode_folder(tmp_path / "data", CELEBA)
    assert again.key == first.key and np.array_equal(again.pixels, expected)
    assert (precious / "keep.txt").read_text() == "mine" and (image_cache.images_folder() / first.key).is_dir()
    assert "damaged" not in capsys.readouterr().err
    forbid(monkeypatch, image_cache, "decode_into")  # the index names the entry again
    assert decode_folder(tmp_path / "data", CELEBA).key == first.key


def test_an_unwritable_cache_decodes_into_memory(tmp_path: Path, monkeypatch, capsys) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("WGANLAB_CACHE", str(blocker / "cache"))
    write_folder(tmp_path / "data")
    decoded = decode_folder(tmp_path / "data", CELEBA)
    assert decoded.pixels.shape == (12, 3, 16, 16) and not isinstance(decoded.pixels, np.memmap)
    assert "cannot write the image cache" in capsys.readouterr().err


def test_a_full_disk_is_one_line_when_memory_would_not_do(tmp_path: Path, monkeypatch) -> None:
    def full(fd: int, offset: int, length: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(image_cache.os, "posix_fallocate", full)
    monkeypatch.setattr(image_cache, "_MEMORY_SHARE", 0.0)
    write_folder(tmp_path / "data")
    with pytest.raises(UserError) as info:
        decode_folder(tmp_path / "data", CELEBA)
    message = str(info.value)
    assert "No space left on device" in message and "WGANLAB_CACHE" in message and "\n" not in message
    assert [p.name for p in image_cache.images_folder().iterdir()] == []


def test_sizes_must_agree_after_the_transform(tmp_path: Path) -> None:
    write_folder(tmp_path / "data", count=2, size=(30, 24))
    write_folder(tmp_path / "data" / "c", count=1, size=(24, 40), seed=1)
    with pytest.raises(UserError, match="images differ in size: .* set data.resize"):
        decode_folder(tmp_path / "data", Transform())
    assert decode_folder(tmp_path / "data", Transform(crop=True)).pixels.shape == (3, 3, 24, 24)
    assert decode_folder(tmp_path / "data", Transform(resize=10)).pixels.shape == (3, 3, 10, 10)


def test_labels_only_from_direct_subfolders_and_grayscale_is_one_channel(tmp_path: Path) -> None:
    (tmp_path / "cat").mkdir()
    Image.fromarray(np.zeros((2, 2), dtype=np.uint8)).save(tmp_path / "cat" / "a.png")
    Image.fromarray(np.full((2, 2), 9, dtype=np.uint8)).save(tmp_path / "top.png")  # not in a class folder
    assert list_folder(tmp_path).labels is None
    decoded = decode_folder(tmp_path, Transform())
    assert decoded.pixels.shape == (2, 1, 2, 2) and decoded.pixels[1].max() == 9  # sorted by path
    (tmp_path / "top.png").unlink()
    (tmp_path / "dog" / "deeper").mkdir(parents=True)
    Image.fromarray(np.zeros((2, 2), dtype=np.uint8)).save(tmp_path / "dog" / "deeper" / "b.png")
    assert list_folder(tmp_path).labels is None  # two levels down: no class folder
    with pytest.raises(UserError, match="does not exist or is not a folder"):
        list_folder(tmp_path / "cat" / "a.png")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match=r"no images \(.bmp, .jpeg, .jpg, .png, .tif, .tiff, .webp\) found under"):
        list_folder(tmp_path / "empty")


def test_sixteen_bit_grayscale_is_scaled_not_clipped_and_32_bit_is_refused(tmp_path: Path) -> None:
    Image.fromarray(np.array([[0, 257, 32896, 65535]], dtype=np.uint16)).save(tmp_path / "deep.png")
    decoded = decode_folder(tmp_path, Transform())
    assert decoded.pixels.shape == (1, 1, 1, 4) and decoded.pixels.ravel().tolist() == [0, 1, 128, 255]
    Image.fromarray(np.zeros((1, 4), dtype=np.int32), mode="I").save(tmp_path / "wide.tif")
    with pytest.raises(UserError, match="wide.tif has 32-bit pixels"):
        decode_folder(tmp_path, Transform())


def test_hidden_files_are_skipped_and_other_formats_read(tmp_path: Path) -> None:
    Image.fromarray(np.full((4, 4, 3), 10, dtype=np.uint8)).save(tmp_path / "a.webp", lossless=True)
    Image.fromarray(np.full((4, 4, 3), 20, dtype=np.uint8)).save(tmp_path / "b.BMP")
    (tmp_path / "._a.jpg").write_bytes(b"macOS resource fork, not an image")
    (tmp_path / ".thumbnails").mkdir()
    (tmp_path / ".thumbnails" / "c.png").write_bytes(b"not an image either")
    decoded = decode_folder(tmp_path, Transform())
    assert decoded.pixels.shape == (2, 3, 4, 4) and decoded.pixels[:, 0, 0, 0].tolist() == [10, 20]
