"""Feature extractors: the shipped digits classifier, user classifiers and torch-fidelity's InceptionV3."""

from __future__ import annotations

import hashlib
import json

import pytest
import torch

from wganlab.errors import UserError
from wganlab.metrics import features
from wganlab.metrics.features import EXTRACTORS, make_extractor
from wganlab.models.classifier import Classifier, save_classifier
from wganlab.training.classifier import evaluate_accuracy

WEIGHTS = features.SHIPPED_DIGITS_WEIGHTS
RECORD = json.loads(WEIGHTS.with_suffix(".json").read_text())


def digits() -> tuple[torch.Tensor, torch.Tensor]:
    from sklearn.datasets import load_digits  # a core dependency: missing it is a failure, not a skip

    data = load_digits()
    images = torch.tensor(data.images, dtype=torch.float32).unsqueeze(1) / 16 * 2 - 1  # [1797, 1, 8, 8]
    return images, torch.tensor(data.target)


def test_shipped_weights_are_small_and_match_their_record() -> None:
    data = WEIGHTS.read_bytes()
    assert len(data) < 200_000 and RECORD["size_bytes"] == len(data)
    assert hashlib.sha256(data).hexdigest() == RECORD["sha256"]
    assert make_extractor("digits-classifier").weights_id == RECORD["sha256"][:16]


def test_shipped_classifier_reproduces_its_held_out_accuracy() -> None:
    from wganlab.models.classifier import load_classifier

    model, report = load_classifier(WEIGHTS)
    assert report["held_out_accuracy"] == RECORD["held_out_accuracy"] >= 0.97
    assert (report["train_size"], report["held_out_size"]) == (1437, 360)
    images, labels = digits()
    held_out = torch.randperm(1797, generator=torch.Generator().manual_seed(0))[
        1437:
    ]  # data loader's test split
    accuracy = evaluate_accuracy(model, images[held_out], labels[held_out])
    assert accuracy == pytest.approx(report["held_out_accuracy"], abs=1e-9)


def test_digits_features_do_not_depend_on_batch_size() -> None:
    images, labels = digits()
    extractor = make_extractor("digits-classifier")
    assert (extractor.feature_dim, extractor.input_shape) == (64, (1, 8, 8))
    results = [extractor.extract(images, batch_size=size) for size in (7, 64, 1000)]
    for feats, probs in results:
        assert feats.shape == (1797, 64) and feats.dtype == torch.float64
        assert probs is not None and probs.shape == (1797, 10) and probs.dtype == torch.float64
        torch.testing.assert_close(
            probs.sum(dim=1), torch.ones(1797, dtype=torch.float64), rtol=0, atol=1e-12
        )
    for feats, probs in results[1:]:
        torch.testing.assert_close(feats, results[0][0], rtol=0, atol=1e-6)
        torch.testing.assert_close(probs, results[0][1], rtol=0, atol=1e-6)
    torch.testing.assert_close(extractor.extract(images[:5])[0], results[0][0][:5], rtol=0, atol=1e-6)
    assert (results[0][1].argmax(dim=1) == labels).double().mean() > 0.97


@pytest.mark.parametrize("size", [0, -3])
def test_a_batch_size_below_one_is_refused(size: int) -> None:
    with pytest.raises(UserError, match=f"batch_size must be >= 1, got {size}"):
        make_extractor("digits-classifier").extract(torch.zeros(2, 1, 8, 8), batch_size=size)


def test_user_classifier_extractor_takes_its_shape_from_the_file(tmp_path) -> None:
    torch.manual_seed(0)
    model = Classifier(3, 12, num_classes=4, feature_dim=9).eval()
    path = tmp_path / "mine.pt"
    save_classifier(path, model, {"held_out_accuracy": 0.0})
    extractor = make_extractor("classifier", weights=path)
    assert (extractor.name, extractor.feature_dim, extractor.input_shape) == ("classifier", 9, (3, 12, 12))
    images = torch.rand(6, 3, 12, 12) * 2 - 1
    feats, probs = extractor.extract(images, batch_size=4)
    with torch.no_grad():
        torch.testing.assert_close(feats, model.features(images).double(), rtol=0, atol=1e-5)
        torch.testing.assert_close(probs, torch.softmax(model(images).double(), dim=1), rtol=0, atol=1e-5)
    with pytest.raises(UserError, match=r"expects images of shape \(3, 12, 12\)"):
        extractor.extract(torch.zeros(2, 1, 12, 12))
    with pytest.raises(UserError, match=r"\[-1, 1\]"):
        extractor.extract(images * 127.5 + 127.5)


@pytest.mark.parametrize(
    ("name", "weights", "message"),
    [
        ("fid-net", None, "unknown feature extractor 'fid-net'; choose one of"),
        ("classifier", None, "needs a weights file"),
        ("classifier", "no/such/file.pt", "not found"),
        ("digits-classifier", "some.pt", "shipped"),
        ("inception-v3-compat", None, "pip install torch-fidelity"),
        ("inception-v3-compat", "no/such/inception.pth", "not found"),
    ],
)
def test_bad_requests_are_one_line_user_errors(name: str, weights: str | None, message: str) -> None:
    with pytest.raises(UserError, match=message) as caught:
        make_extractor(name, weights=weights)
    assert "\n" not in str(caught.value)


def test_every_registered_name_is_listed() -> None:
    assert set(EXTRACTORS) == {"digits-classifier", "classifier", "inception", "inception-v3-compat"}
