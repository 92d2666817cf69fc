"""The Classifier network and its file: shapes, batch independence, saving and loading."""

from __future__ import annotations

import pytest
import torch

from wganlab.errors import UserError
from wganlab.models.classifier import Classifier, classifier_input_shape, load_classifier, save_classifier


@pytest.mark.parametrize(("channels", "size"), [(1, 8), (1, 28), (3, 32), (3, 9)])
def test_shapes_for_any_size_from_8(channels: int, size: int) -> None:
    model = Classifier(channels, size, num_classes=7, feature_dim=5)
    images = torch.rand(4, channels, size, size) * 2 - 1
    assert model.features(images).shape == (4, 5)
    assert model(images).shape == (4, 7)


def test_too_small_images_are_a_user_error() -> None:
    with pytest.raises(UserError, match="size >= 8"):
        Classifier(1, 7)


@pytest.mark.equivalence
def test_features_do_not_depend_on_the_rest_of_the_batch() -> None:
    """In float64: in float32 a batch of 10 and one of 3 may take kernels that round otherwise (by CPU)."""
    torch.manual_seed(0)
    model = Classifier(1, 8).eval().double()
    images = torch.rand(10, 1, 8, 8, dtype=torch.float64) * 2 - 1
    torch.testing.assert_close(model.features(images)[:3], model.features(images[:3]), rtol=0, atol=1e-12)


def test_save_load_round_trip(tmp_path) -> None:
    torch.manual_seed(0)
    model = Classifier(3, 16, num_classes=4, feature_dim=12).eval()
    report = {"held_out_accuracy": 0.5, "seed": 1}
    path = tmp_path / "classifier.pt"
    save_classifier(path, model, report)
    assert [p.name for p in tmp_path.iterdir()] == ["classifier.pt"]  # no temp file left behind
    loaded, loaded_report = load_classifier(path)
    assert loaded_report == report
    assert (loaded.channels, loaded.size, loaded.num_classes, loaded.feature_dim) == (3, 16, 4, 12)
    images = torch.rand(5, 3, 16, 16) * 2 - 1
    torch.testing.assert_close(loaded(images), model(images), rtol=0, atol=0)


def test_input_shape_is_read_from_the_file(tmp_path) -> None:
    path = tmp_path / "classifier.pt"
    save_classifier(path, Classifier(3, 16, num_classes=4), {})
    assert classifier_input_shape(path) == (3, 16, 16)
    with pytest.raises(UserError, match="not found"):
        classifier_input_shape(tmp_path / "missing.pt")


def write_truncated(tmp_path):
    path = tmp_path / "good.pt"
    save_classifier(path, Classifier(1, 8), {})
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return truncated


def write_foreign(tmp_path):
    path = tmp_path / "foreign.pt"
    torch.save({"model": torch.zeros(3)}, path)
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda tmp_path: tmp_path / "missing.pt", "not found"),
        (write_truncated, "cannot read"),
        (write_foreign, "not a wganlab classifier file"),
    ],
)
def test_load_classifier_rejects_bad_files_in_one_line(tmp_path, make, message) -> None:
    with pytest.raises(UserError, match=message) as caught:
        load_classifier(make(tmp_path))
    assert "\n" not in str(caught.value) and "save_classifier" in str(caught.value)
