"""torch-fidelity's InceptionV3 (the TF-compatible network behind standard FID, KID and IS) as a feature extractor.

The weights are torch-fidelity's release file: a local copy given as eval.extractor_weights, or, without one,
fetched by torch-fidelity's own loader into its cache (torch hub's checkpoints folder) the first time it is
needed. Offline and without a copy, the error says which file to put where.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import sys
from pathlib import Path

import torch
from torch import Tensor

from wganlab.data.image_formats import unit_to_uint8
from wganlab.errors import UserError, one_line
from wganlab.metrics.extractor import FeatureExtractor, weights_identity

INCEPTION_WEIGHTS_NAME = "weights-inception-2015-12-05-6726825d.pth"
RELEASE_DIGEST = "6726825d"  # the release file's SHA-256 begins so (the end of its name, as torch hub checks it)
INCEPTION_SIZES = (2048, 1008)  # pool3 feature width, classes of the softmax
# images through the network at a time (torch-fidelity's own default batch): on a CPU its forward pass holds about
# 14.4 MB an image (the input resized to 299x299 and its widest maps; measured at 64 and 256 images of 64x64, see
# docs/benchmarks.md), so 256 at once held 3.4 GB; an image's features do not depend on the others in its batch
INCEPTION_BATCH = 64
INCEPTION_PER_IMAGE = 15 * 10**6  # bytes, rounded up from the 14.4 MB measured
INCEPTION_HOW_TO = (
    "the Inception extractor needs `pip install torch-fidelity` (the wganlab[inception] extra) and its weights "
    f"{INCEPTION_WEIGHTS_NAME} (torch-fidelity v0.2.0's release file; the weights pytorch-fid calls "
    "pt_inception-2015-12-05-6726825d.pth): online, torch-fidelity fetches them into its cache on first use; "
    "offline, give a local copy as eval.extractor_weights (wganlab evaluate --extractor-weights PATH)"
)


def cached_weights() -> Path:
    """Where torch-fidelity's loader keeps the weights: torch hub's checkpoints folder ($TORCH_HOME)."""
    return Path(torch.hub.get_dir()) / "checkpoints" / INCEPTION_WEIGHTS_NAME


def check_inception(weights: str | Path | None, required: bool = False) -> None:
    """What inception_extractor checks before it loads anything: a given file exists, torch-fidelity is there."""
    if weights is None and required:
        raise UserError(f"no Inception weights given: {INCEPTION_HOW_TO}")
    if weights is not None and not Path(weights).expanduser().is_file():
        raise UserError(f"Inception weights file {weights} not found: {INCEPTION_HOW_TO}")
    if importlib.util.find_spec("torch_fidelity") is None:
        raise UserError(f"torch-fidelity is not installed: {INCEPTION_HOW_TO}")


TURN_ON = "pip install 'torch-fidelity>=0.3'"  # the one command that gives a machine the Inception extractor


def unavailable() -> str | None:
    """Why the Inception extractor cannot be had on this machine without a weights file given, or None when it can:
    torch-fidelity importable and its weights in torch-fidelity's cache, or fetched into it now by torch-fidelity's
    own loader (online; once per machine). The reason ends with what turns it on."""
    if importlib.util.find_spec("torch_fidelity") is None:
        return f"torch-fidelity is not installed; turn them on with: {TURN_ON}"
    path = cached_weights()
    if path.is_file():
        return _not_inception(path)
    if path not in _FETCH_FAILED:  # tried once per process: a sweep's members, offline, do not each wait for it
        try:
            _load(torch_fidelity_inception(), "inception", None)  # fetched into the cache, where the extractor looks
        except UserError as error:  # offline, or a download that broke off: it says what to put where
            _FETCH_FAILED[path] = str(error)
        except ImportError as error:  # torch-fidelity there, but broken
            reason = one_line(error, limit=200)
            _FETCH_FAILED[path] = f"torch-fidelity cannot be imported ({reason}); reinstall it: {TURN_ON}"
    return _FETCH_FAILED.get(path)


_FETCH_FAILED: dict[Path, str] = {}  # cache file -> why fetching it failed, in this process


def _not_inception(path: Path) -> str | None:
    """What is wrong with a cached weights file, or None: the release file itself (its SHA-256 begins with the
    8 hex digits its name ends in, as torch hub checks a download), or another InceptionV3's state (its classifier
    [1008, 2048]), read as tensors only (weights_only: a cached file runs no code here)."""
    if hashlib.sha256(path.read_bytes()).hexdigest().startswith(RELEASE_DIGEST):
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        shape = tuple(state["fc.weight"].shape) if isinstance(state, dict) and "fc.weight" in state else None
        problem = None if shape == INCEPTION_SIZES[::-1] else f"its fc.weight is {shape}, not {INCEPTION_SIZES[::-1]}"
    except Exception as error:  # a damaged file: torch and pickle raise many types
        problem = f"not the release file, and unreadable as torch weights: {type(error).__name__}"
    if problem is None:
        return None
    return (f"the Inception weights in torch-fidelity's cache, {path}, cannot be used ({problem}): delete the file "
            "(online, torch-fidelity fetches it again) or give eval.extractor_weights")


def to_inception_input(images: Tensor) -> Tensor:
    """[N, 1 or 3, H, W] in [-1, 1] -> [N, 3, H, W] uint8 0..255 (rounded), the input torch-fidelity takes."""
    if images.shape[1] not in (1, 3):
        raise UserError(f"inception-v3-compat takes 1- or 3-channel images, got {images.shape[1]} channels")
    pixels = unit_to_uint8(images)
    return pixels.expand(-1, 3, -1, -1) if pixels.shape[1] == 1 else pixels


def inception_extractor(weights: str | Path | None, device: str, name: str = "inception") -> FeatureExtractor:
    """torch-fidelity's FeatureExtractorInceptionV3: pool3 features and softmax(logits), on `device`."""
    check_inception(weights)
    inception_class = torch_fidelity_inception()
    model = _load(inception_class, name, None if weights is None else Path(weights).expanduser())
    path = Path(weights).expanduser() if weights is not None else cached_weights()
    model = model.to(device).eval()

    def network(images: Tensor) -> tuple[Tensor, Tensor]:
        with torch.no_grad():
            pool, logits = model(to_inception_input(images).to(device))  # [N, 2048], [N, 1008]
        return pool.float().cpu(), torch.softmax(logits.double(), dim=1).cpu()  # features in the network's float32

    return FeatureExtractor(
        name=name,
        weights_id=weights_identity(path) if path.is_file() else RELEASE_DIGEST,
        feature_dim=INCEPTION_SIZES[0],
        input_shape=None,
        network=network,
        batch_size=INCEPTION_BATCH,
    )


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




def _load(inception_class: type[torch.nn.Module], name: str, path: Path | None) -> torch.nn.Module:
    """The network with its weights: from `path`, or through torch-fidelity's own loader and cache."""
    features = ["2048", "logits_unbiased"]  # IS uses the logits without the fc bias, as torch-fidelity's isc does
    try:
        return inception_class(name, features, feature_extractor_weights_path=None if path is None else str(path))
    except Exception as error:  # a damaged file, or no network: torch and urllib raise many types
        reason = one_line(error, limit=200) or type(error).__name__
        if path is not None:
            raise UserError(f"cannot load Inception weights {path}: {reason}; {INCEPTION_HOW_TO}") from None
        raise UserError(
            f"cannot fetch the Inception weights ({reason}); offline, put {INCEPTION_WEIGHTS_NAME} in "
            f"{cached_weights().parent}{os.sep} (torch-fidelity's cache) or give eval.extractor_weights"
        ) from None
