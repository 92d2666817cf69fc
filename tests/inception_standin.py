"""Stand-ins that let torch-fidelity's Inception and its calculate_metrics run here, offline and without torchvision.

`write_standin(PATH)` writes torch-fidelity's InceptionV3 with random weights (batch-norm statistics fitted to one
noise batch, so activations neither vanish nor explode) as a weights file that both `wganlab evaluate
--extractor-weights PATH` and torch-fidelity's `feature_extractor_weights_path=PATH` load; nothing is downloaded.
Written into torch-fidelity's cache, it stands in for the real weights (numbers then mean nothing):

    python -m tests.inception_standin $TORCH_HOME/hub/checkpoints/weights-inception-2015-12-05-6726825d.pth

`torchvision_if_missing()` puts a minimal `torchvision` in sys.modules while torchvision cannot be imported (its PyPI
build needs CUDA libraries; CI installs torch-fidelity with --no-deps): torch-fidelity's package imports torchvision
at top level, and its image-folder path uses only transforms.Compose and transforms.functional.pil_to_tensor, given
here as torchvision implements them; the dataset classes its top-level imports subclass are inert. Where the real
torchvision imports, it is used and nothing is changed.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from unittest import mock

import numpy as np
import torch

from wganlab.errors import UserError
from wganlab.metrics.inception import torch_fidelity_inception

FEATURES = ["2048", "logits_unbiased"]  # pool3 and the logits without the fc bias, as wganlab's extractor asks


def write_standin(path: Path, seed: int = 0) -> torch.nn.Module:
    """torch-fidelity's InceptionV3 with random weights and batch-norm statistics fitted to one noise batch,
    saved (its state_dict) to `path`; returns the network, in eval mode. The global RNG is left as it was.
    UserError when torch-fidelity cannot be imported."""
    inception_class = torch_fidelity_inception()
    no_download: Callable[..., dict] = lambda url, progress=True: {}  # noqa: E731 (random weights stay)
    with (
        mock.patch.dict(inception_class.__init__.__globals__, {"load_state_dict_from_url": no_download}),
        mock.patch.object(inception_class, "load_state_dict", lambda self, state_dict, *args, **kwargs: None),
        torch.random.fork_rng(devices=[]),
    ):
        torch.manual_seed(seed)
        model = inception_class("inception-v3-compat", FEATURES, feature_extractor_weights_path=None)
        # fresh batch norms (mean 0, var 1) let activations vanish; fit their statistics to one noise batch
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.momentum = 1.0
        model.train()
        with torch.no_grad():
            model((torch.rand(2, 3, 40, 40) * 255).to(torch.uint8))
    model.eval()
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), path)
    return model


class _Compose:
    """torchvision.transforms.Compose: the transforms applied in turn."""

    def __init__(self, transforms: list[Callable]) -> None:
        self.transforms = transforms

    def __call__(self, image: object) -> object:
        for transform in self.transforms:
            image = transform(image)
        return image


def _pil_to_tensor(picture: object) -> torch.Tensor:
    """torchvision.transforms.functional.pil_to_tensor: the PIL image's pixels as they are, HWC -> CHW."""
    from PIL import Image

    if not isinstance(picture, Image.Image):
        raise TypeError(f"pic should be PIL Image. Got {type(picture)}")
    pixels = torch.as_tensor(np.array(picture, copy=True))
    pixels = pixels.view(picture.size[1], picture.size[0], len(picture.getbands()))
    return pixels.permute((2, 0, 1))


def _inert_dataset(name: str) -> type:
    def refuse(self: object, *args: object, **kwargs: object) -> None:
        raise NotImplementedError(f"torchvision.datasets.{name} is a stand-in: install torchvision to use it")

    return type(name, (), {"__init__": refuse})


def torchvision_standin() -> dict[str, types.ModuleType]:
    """The minimal torchvision package, as the sys.modules entries it needs (name -> module)."""
    names = ("torchvision", "torchvision.transforms", "torchvision.transforms.functional", "torchvision.datasets")
    package, transforms, functional, datasets = (types.ModuleType(name) for name in names)
    package.__path__ = []  # a package: its submodules below are found in sys.modules
    transforms.__path__ = []
    functional.pil_to_tensor = _pil_to_tensor
    transforms.Compose, transforms.functional = _Compose, functional
    for name in ("CIFAR10", "CIFAR100", "STL10"):
        setattr(datasets, name, _inert_dataset(name))
    package.transforms, package.datasets = transforms, datasets
    return {module.__name__: module for module in (package, transforms, functional, datasets)}


def _torchvision_imports() -> bool:
    try:
        import torchvision  # noqa: F401
    except Exception:  # not installed, or a build that needs missing CUDA libraries (OSError, RuntimeError)
        return False
    return True


@contextlib.contextmanager
def torchvision_if_missing() -> Iterator[bool]:
    """Inside: `import torch_fidelity` works. Where torchvision cannot be imported, the stand-in sits in sys.modules
    meanwhile, and after it every torchvision and torch_fidelity entry is as before (those imported under the
    stand-in removed). Yields whether the stand-in is in use."""
    if _torchvision_imports():
        yield False
        return

    def ours(name: str) -> bool:
        return name.split(".")[0] in ("torchvision", "torch_fidelity")

    saved = {name: module for name, module in sys.modules.items() if ours(name)}
    for name in saved:
        del sys.modules[name]
    sys.modules.update(torchvision_standin())
    try:
        yield True
    finally:
        for name in [name for name in sys.modules if ours(name)]:
            del sys.modules[name]
        sys.modules.update(saved)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.inception_standin",
        description="Write torch-fidelity's InceptionV3 with random weights (a stand-in; its numbers mean nothing).",
    )
    parser.add_argument("path", type=Path, help="the weights file to write (e.g. torch-fidelity's cache file)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        write_standin(args.path, args.seed)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"wrote a random-weight Inception stand-in to {args.path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
