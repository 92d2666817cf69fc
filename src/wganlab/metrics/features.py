"""Feature extractors for image metrics, by name: images -> features (and class probabilities).

An extractor is described cheaply first (`ExtractorEntry.input_shape` checks the weights file and says what
images it takes) and built only when features are needed, so looking at a run never loads Inception.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

from wganlab.errors import UserError
from wganlab.metrics.extractor import FeatureExtractor, weights_identity
from wganlab.metrics.inception import (
    INCEPTION_BATCH,
    INCEPTION_PER_IMAGE,
    INCEPTION_SIZES,
    check_inception,
    inception_extractor,
)
from wganlab.models.classifier import WIDTHS, classifier_architecture, classifier_input_shape, load_classifier
from wganlab.parts import Parts

EXTRACT_BATCH = 256  # images an evaluation gives an extractor at a time
SHIPPED_DIGITS_WEIGHTS = Path(__file__).resolve().parent / "weights" / "digits-classifier.pt"
# images through a classifier at a time: in float64 its convolutions unfold each image into columns (9 x the widest
# input channels x the pixels, 1.2 MB for a 32x32 image), so a batch of 256 would hold hundreds of MB
CLASSIFIER_BATCH = 32


def classifier_extractor(name: str, path: Path, device: str) -> FeatureExtractor:
    """A Classifier file's hidden layer and softmax head, evaluated in float64, CLASSIFIER_BATCH images at a time
    (an image's features do not depend on the others)."""
    model, _ = load_classifier(path)
    model = model.to(device=device, dtype=torch.float64).eval()

    def network(images: Tensor) -> tuple[Tensor, Tensor]:
        with torch.no_grad():
            features = model.features(images.to(device=device, dtype=torch.float64))
            probabilities = torch.softmax(model.head(features), dim=1)  # [N, K]
        return features.cpu(), probabilities.cpu()

    return FeatureExtractor(
        name=name,
        weights_id=weights_identity(path),
        feature_dim=model.feature_dim,
        input_shape=(model.channels, model.size, model.size),
        network=network,
        batch_size=CLASSIFIER_BATCH,
    )


def _shipped_only(weights: str | Path | None) -> Path:
    if weights is not None:
        raise UserError("digits-classifier uses the weights shipped with wganlab; for your own file use 'classifier'")
    return SHIPPED_DIGITS_WEIGHTS


def _own_file(weights: str | Path | None) -> Path:
    if weights is None:
        raise UserError(
            "the 'classifier' extractor needs a weights file (eval.extractor_weights or --extractor-weights): "
            "one written by `wganlab classifier train --out PATH`"
        )
    return Path(weights).expanduser()



@dataclass(frozen=True)
class Sizes:
    """What an extractor holds, for a memory estimate: its outputs' widths and its working memory."""

    features: int  # feature width
    classes: int  # class count of its probabilities
    itemsize: int  # bytes of a feature (the precision it computes in)
    working: int  # bytes its forward pass holds at most, for one of its batches (weights aside)


def _classifier_sizes(path: Path) -> Sizes:
    shape = classifier_architecture(path)
    # float64, at full size: the second convolution's unfolded input, its input and output, and the image
    per_image = 8 * shape["size"] ** 2 * (9 * WIDTHS[0] + WIDTHS[0] + WIDTHS[1] + shape["channels"])
    return Sizes(shape["feature_dim"], shape["num_classes"], 8, CLASSIFIER_BATCH * per_image)


_INCEPTION = Sizes(*INCEPTION_SIZES, 4, INCEPTION_BATCH * INCEPTION_PER_IMAGE)  # float32 features


@dataclass(frozen=True)
class ExtractorEntry:
    """A feature extractor as `eval.extractor` names it.

    `input_shape(weights)` is cheap: it checks the weights and returns the (C, H, W) the extractor takes, or None
    for any size; `sizes(weights)`, as cheap, its (feature width, class count) for a memory estimate;
    `make(weights, device)` builds it.
    """

    name: str
    description: str
    input_shape: Callable[[str | Path | None], tuple[int, int, int] | None]
    make: Callable[[str | Path | None, str], FeatureExtractor]
    sizes: Callable[[str | Path | None], Sizes]


AUTO = "auto"  # eval.extractor's default, resolved by training/evaluation.py choose_extractor
AUTO_DESCRIPTION = ("the data set's own classifier (digits-classifier on digits), else inception where "
                    "torch-fidelity and its weights can be had, else none (the run says which, and why)")
EXTRACTORS: Parts[ExtractorEntry] = Parts("eval.extractor", [
    ExtractorEntry(
        "digits-classifier",
        "64-d hidden layer and 10 class probabilities of the small CNN shipped with wganlab, trained on "
        "scikit-learn's 8x8 digits; images (1, 8, 8)",
        lambda weights: classifier_input_shape(_shipped_only(weights)),
        lambda weights, device: classifier_extractor("digits-classifier", _shipped_only(weights), device),
        lambda weights: _classifier_sizes(_shipped_only(weights)),
    ),
    ExtractorEntry(
        "classifier",
        "64-d hidden layer and class probabilities of your own classifier file (weights=PATH written by "
        "save_classifier); images of the shape it was trained on",
        lambda weights: classifier_input_shape(_own_file(weights)),
        lambda weights, device: classifier_extractor("classifier", _own_file(weights), device),
        lambda weights: _classifier_sizes(_own_file(weights)),
    ),
    ExtractorEntry(
        "inception",
        "torch-fidelity's InceptionV3: 2048-d pool3 features and 1008-way softmax (standard, TF-compatible "
        "FID/KID/IS: torch-fidelity's and TTUR's protocol, not clean-fid's); any size, resized to 299 by "
        "torch-fidelity's TF1-compatible bilinear resize; weights from eval.extractor_weights or fetched by "
        "torch-fidelity",
        lambda weights: check_inception(weights),
        lambda weights, device: inception_extractor(weights, device, "inception"),
        lambda weights: _INCEPTION,
    ),
    ExtractorEntry(
        "inception-v3-compat",
        "the same InceptionV3, from the local weights file eval.extractor_weights only (the name older runs use)",
        lambda weights: check_inception(weights, required=True),
        lambda weights, device: inception_extractor(_required(weights), device, "inception-v3-compat"),
        lambda weights: _INCEPTION,
    ),
])


def _required(weights: str | Path | None) -> str | Path:
    check_inception(weights, required=True)
    return weights  # type: ignore[return-value]  # checked


def make_extractor(name: str, *, weights: str | Path | None = None, device: str = "cpu") -> FeatureExtractor:
    """Build the named extractor (see EXTRACTORS); `weights` is a local file where one is needed."""
    if name not in EXTRACTORS:
        raise UserError(f"unknown feature extractor {name!r}; choose one of: {', '.join(EXTRACTORS)}")
    return EXTRACTORS[name].make(weights, device)
