"""Feature extractors for image metrics, by name: images -> features (and class probabilities).

An extractor is described cheaply first (`ExtractorEntry.input_shape` checks the weights file and says what
images it takes) and built only when features are needed, so looking at a run never loads Inception.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import Tensor

from wganlab.data.image_formats import unit_to_uint8
from wganlab.errors import UserError
from wganlab.models.classifier import classifier_input_shape, load_classifier
from wganlab.parts import Parts

SHIPPED_DIGITS_WEIGHTS = Path(__file__).resolve().parent / "weights" / "digits-classifier.pt"
INCEPTION_WEIGHTS_NAME = "weights-inception-2015-12-05-6726825d.pth"
INCEPTION_HOW_TO = (
    "inception-v3-compat needs `pip install torch-fidelity` (the wganlab[inception] extra) and a local "
    f"copy of the Inception weights {INCEPTION_WEIGHTS_NAME} (torch-fidelity v0.2.0's release file; the "
    "weights pytorch-fid calls pt_inception-2015-12-05-6726825d.pth), which you fetch yourself and pass "
    "as eval.extractor_weights (wganlab evaluate --extractor-weights PATH); nothing is downloaded at run time"
)
RANGE_TOLERANCE = 1e-3  # images are expected in [-1, 1]; allow rounding noise, reject other scalings

@dataclass(frozen=True)
class FeatureExtractor:
    """Features [N, D] and optional class probabilities [N, K] (float64, eval mode, no grad).

    Inputs are images [N, C, H, W] in [-1, 1]. Record `name` and `weights_id` with every metric:
    numbers from different extractors are not comparable.
    """

    name: str
    weights_id: str  # first 16 hex digits of the sha256 of the weights file
    feature_dim: int
    input_shape: tuple[int, int, int] | None  # (C, H, W) it expects, or None if it resizes itself
    features: Callable[[Tensor], Tensor]
    probabilities: Callable[[Tensor], Tensor] | None
    # one forward pass for both outputs, when the extractor has one (extract uses it)
    features_and_probabilities: Callable[[Tensor], tuple[Tensor, Tensor | None]] | None = field(
        default=None, repr=False
    )

    def extract(self, images: Tensor, batch_size: int = 256) -> tuple[Tensor, Tensor | None]:
        """Features [N, D] and probabilities [N, K] (or None) over batches; batch_size changes no result."""
        if batch_size < 1:
            raise UserError(f"batch_size must be >= 1, got {batch_size}")
        check_images(self, images)
        both = self.features_and_probabilities or self._separately
        features: list[Tensor] = []
        probabilities: list[Tensor] = []
        for start in range(0, len(images), batch_size):
            batch_features, batch_probabilities = both(images[start : start + batch_size])
            features.append(batch_features)
            if batch_probabilities is not None:
                probabilities.append(batch_probabilities)
        if not features:
            return torch.empty(0, self.feature_dim, dtype=torch.float64), None
        return torch.cat(features), torch.cat(probabilities) if probabilities else None

    def _separately(self, images: Tensor) -> tuple[Tensor, Tensor | None]:
        probabilities = self.probabilities(images) if self.probabilities is not None else None
        return self.features(images), probabilities


def check_images(extractor: FeatureExtractor, images: Tensor) -> None:
    """Raise UserError unless images are [N, C, H, W] in [-1, 1] of the shape the extractor expects."""
    if images.dim() != 4:
        raise UserError(f"{extractor.name} needs images [N, C, H, W], got shape {tuple(images.shape)}")
    shape = tuple(images.shape[1:])
    if extractor.input_shape is not None and shape != extractor.input_shape:
        raise UserError(
            f"{extractor.name} expects images of shape {extractor.input_shape}, got {shape}; "
            "use a classifier trained on such images (name 'classifier' with its weights file) "
            "or 'inception-v3-compat'"
        )
    if images.numel() and (images.min() < -1 - RANGE_TOLERANCE or images.max() > 1 + RANGE_TOLERANCE):
        raise UserError(
            f"{extractor.name} expects pixel values in [-1, 1], got [{float(images.min()):.3g}, "
            f"{float(images.max()):.3g}]; rescale the images (x / 127.5 - 1 for 0..255 data)"
        )


def weights_identity(path: Path) -> str:
    """First 16 hex digits of the file's sha256."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:16]


def classifier_extractor(name: str, path: Path, device: str) -> FeatureExtractor:
    """A Classifier file's hidden layer and softmax head, evaluated in float64."""
    model, _ = load_classifier(path)
    model = model.to(device=device, dtype=torch.float64).eval()

    def both(images: Tensor) -> tuple[Tensor, Tensor]:
        check_images(extractor, images)
        with torch.no_grad():
            features = model.features(images.to(device=device, dtype=torch.float64))  # [N, D]
            probabilities = torch.softmax(model.head(features), dim=1)  # [N, K]
        return features.cpu(), probabilities.cpu()

    extractor = FeatureExtractor(
        name=name,
        weights_id=weights_identity(path),
        feature_dim=model.feature_dim,
        input_shape=(model.channels, model.size, model.size),
        features=lambda images: both(images)[0],
        probabilities=lambda images: both(images)[1],
        features_and_probabilities=both,
    )
    return extractor


def to_inception_input(images: Tensor) -> Tensor:
    """[N, 1 or 3, H, W] in [-1, 1] -> [N, 3, H, W] uint8 0..255 (rounded), the input torch-fidelity takes."""
    if images.shape[1] not in (1, 3):
        raise UserError(f"inception-v3-compat takes 1- or 3-channel images, got {images.shape[1]} channels")
    pixels = unit_to_uint8(images)
    return pixels.expand(-1, 3, -1, -1) if pixels.shape[1] == 1 else pixels


def inception_extractor(weights: str | Path | None, device: str) -> FeatureExtractor:
    """torch-fidelity's FeatureExtractorInceptionV3 from a local weights file: pool3 and softmax(logits)."""
    _inception_file(weights)
    path = Path(weights).expanduser()  # type: ignore[arg-type]  # checked by _inception_file
    inception_class = torch_fidelity_inception()
    name = "inception-v3-compat"
    try:
        # IS uses the logits without the fc bias, as torch-fidelity's own isc does
        model = inception_class(name, ["2048", "logits_unbiased"], feature_extractor_weights_path=str(path))
    except Exception as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise UserError(f"cannot load Inception weights {path}: {reason}; {INCEPTION_HOW_TO}") from None
    model = model.to(device).eval()

    def both(images: Tensor) -> tuple[Tensor, Tensor]:
        check_images(extractor, images)
        with torch.no_grad():
            pool, logits = model(to_inception_input(images).to(device))  # [N, 2048], [N, 1008]
        return pool.double().cpu(), torch.softmax(logits.double(), dim=1).cpu()

    extractor = FeatureExtractor(
        name=name,
        weights_id=weights_identity(path),
        feature_dim=2048,
        input_shape=None,
        features=lambda images: both(images)[0],
        probabilities=lambda images: both(images)[1],
        features_and_probabilities=both,
    )
    return extractor


def torch_fidelity_inception() -> type[torch.nn.Module]:
    """torch-fidelity's FeatureExtractorInceptionV3 class, even where torchvision is missing.

    torch-fidelity's package __init__ imports torchvision (for CLIP and its datasets), which its Inception
    module never uses. If that import fails, load the Inception module with the package __init__ skipped,
    then remove every torch_fidelity entry this added to sys.modules so later imports behave as before.
    """
    before = set(sys.modules)
    try:
        from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

        return FeatureExtractorInceptionV3
    except ModuleNotFoundError as error:
        if error.name != "torchvision":
            raise UserError(f"torch-fidelity is not installed: {INCEPTION_HOW_TO}") from None
    spec = importlib.util.find_spec("torch_fidelity")
    assert spec is not None and spec.submodule_search_locations is not None
    try:
        sys.modules["torch_fidelity"] = importlib.util.module_from_spec(spec)  # the package, __init__ not run
        module = importlib.import_module("torch_fidelity.feature_extractor_inceptionv3")
        return module.FeatureExtractorInceptionV3
    finally:
        for key in set(sys.modules) - before:
            if key == "torch_fidelity" or key.startswith("torch_fidelity."):
                del sys.modules[key]


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


def _inception_file(weights: str | Path | None) -> None:
    """The checks inception_extractor makes before it loads anything: the file exists, torch-fidelity is there."""
    if weights is None:
        raise UserError(f"no Inception weights given: {INCEPTION_HOW_TO}")
    if not Path(weights).expanduser().is_file():
        raise UserError(f"Inception weights file {weights} not found: {INCEPTION_HOW_TO}")
    if importlib.util.find_spec("torch_fidelity") is None:
        raise UserError(f"torch-fidelity is not installed: {INCEPTION_HOW_TO}")


@dataclass(frozen=True)
class ExtractorEntry:
    """A feature extractor as `eval.extractor` names it.

    `input_shape(weights)` is cheap: it checks the weights and returns the (C, H, W) the extractor takes, or None
    for any size; `make(weights, device)` builds it.
    """

    name: str
    description: str
    input_shape: Callable[[str | Path | None], tuple[int, int, int] | None]
    make: Callable[[str | Path | None, str], FeatureExtractor]


AUTO = "auto"  # eval.extractor's default: the data set's own extractor (ImageSource.extractor), if it has one
AUTO_DESCRIPTION = "the data set's own extractor (digits-classifier on digits), none elsewhere"
EXTRACTORS: Parts[ExtractorEntry] = Parts("eval.extractor", [
    ExtractorEntry(
        "digits-classifier",
        "64-d hidden layer and 10 class probabilities of the small CNN shipped with wganlab, trained on "
        "scikit-learn's 8x8 digits; images (1, 8, 8)",
        lambda weights: classifier_input_shape(_shipped_only(weights)),
        lambda weights, device: classifier_extractor("digits-classifier", _shipped_only(weights), device),
    ),
    ExtractorEntry(
        "classifier",
        "64-d hidden layer and class probabilities of your own classifier file (weights=PATH written by "
        "save_classifier); images of the shape it was trained on",
        lambda weights: classifier_input_shape(_own_file(weights)),
        lambda weights, device: classifier_extractor("classifier", _own_file(weights), device),
    ),
    ExtractorEntry(
        "inception-v3-compat",
        "2048-d pool3 features and 1008-way softmax of torch-fidelity's InceptionV3 (TF-compatible FID/KID/IS); "
        "any size, resized to 299; needs torch-fidelity and a local weights file",
        lambda weights: _inception_file(weights),
        lambda weights, device: inception_extractor(weights, device),
    ),
])


def make_extractor(name: str, *, weights: str | Path | None = None, device: str = "cpu") -> FeatureExtractor:
    """Build the named extractor (see EXTRACTORS); `weights` is a local file where one is needed."""
    if name not in EXTRACTORS:
        raise UserError(f"unknown feature extractor {name!r}; choose one of: {', '.join(EXTRACTORS)}")
    return EXTRACTORS[name].make(weights, device)
