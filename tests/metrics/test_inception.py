"""torch-fidelity's InceptionV3: features equal torch-fidelity's own; weights from a file, or from torch-fidelity's
loader (tested with the download replaced); offline without weights, one line that says what to put where."""

from __future__ import annotations

import dataclasses
import hashlib
from urllib.error import URLError

import numpy as np
import pytest
import torch

from tests.inception_standin import write_standin
from wganlab import cli
from wganlab.errors import UserError
from wganlab.metrics import inception
from wganlab.metrics.features import make_extractor


def test_inception_error_says_how_to_supply_the_weights() -> None:
    with pytest.raises(UserError) as caught:
        make_extractor("inception-v3-compat")
    assert "weights-inception-2015-12-05-6726825d.pth" in str(caught.value) and "--extractor-weights" in str(
        caught.value
    )


def random_inception_weights(tmp_path):
    """torch-fidelity's InceptionV3, random weights, batch-norm statistics fitted to noise (tests/inception_standin.py);
    no download. Skips when torch-fidelity cannot be imported."""
    path = tmp_path / "random-inception.pth"
    try:
        return write_standin(path), path
    except UserError as error:
        pytest.skip(f"torch-fidelity cannot be imported: {error}")


def test_inception_features_equal_torch_fidelity_own(tmp_path) -> None:
    reference, path = random_inception_weights(tmp_path)
    pixels = torch.randint(0, 256, (2, 1, 16, 16), generator=torch.Generator().manual_seed(0))
    images = pixels / 127.5 - 1  # exactly representable back to the same 0..255 values
    extractor = make_extractor("inception", weights=path)
    assert (extractor.feature_dim, extractor.input_shape) == (2048, None)
    feats, probs = extractor.extract(images)
    with torch.no_grad():
        pool, logits = reference(pixels.repeat(1, 3, 1, 1).to(torch.uint8))
    assert pool.std(dim=0).mean() > 1e-2  # the check below compares features that differ between images
    torch.testing.assert_close(feats, pool, rtol=0, atol=1e-5)  # in the network's float32
    torch.testing.assert_close(probs, torch.softmax(logits.double(), dim=1), rtol=0, atol=1e-5)
    assert extractor.weights_id == hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def test_images_go_through_the_network_a_few_at_a_time_as_if_all_at_once(tmp_path, monkeypatch) -> None:
    """INCEPTION_BATCH images at a time (on a CPU a batch of 256 held 3.4 GB): the features and probabilities of the
    whole batch at once, whatever the split."""
    reference, path = random_inception_weights(tmp_path)
    pixels = torch.randint(0, 256, (5, 3, 16, 16), generator=torch.Generator().manual_seed(2))
    monkeypatch.setattr(inception, "INCEPTION_BATCH", 2)  # 2 + 2 + 1
    extractor, seen = make_extractor("inception", weights=path), []
    network = extractor.network
    recording = dataclasses.replace(extractor, network=lambda batch: (seen.append(len(batch)), network(batch))[1])
    feats, probs = recording.extract(pixels / 127.5 - 1)
    assert seen == [2, 2, 1]  # the network saw the batches, not the whole
    with torch.no_grad():
        pool, logits = reference(pixels.to(torch.uint8))
    torch.testing.assert_close(feats, pool, rtol=0, atol=1e-5)
    torch.testing.assert_close(probs, torch.softmax(logits.double(), dim=1), rtol=0, atol=1e-5)


def test_without_weights_torch_fidelitys_own_loader_fetches_them(tmp_path, monkeypatch) -> None:
    reference, path = random_inception_weights(tmp_path)
    inception_class = inception.torch_fidelity_inception()
    fetched: list[str] = []

    def load_state_dict_from_url(url: str, progress: bool = True) -> dict:  # the network call, replaced
        fetched.append(url)
        return torch.load(path, weights_only=True)

    monkeypatch.setitem(inception_class.__init__.__globals__, "load_state_dict_from_url", load_state_dict_from_url)
    monkeypatch.setattr(inception, "torch_fidelity_inception", lambda: inception_class)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    extractor = make_extractor("inception")
    assert fetched == [inception_class.__init__.__globals__["URL_INCEPTION_V3"]]
    assert fetched[0].endswith(inception.INCEPTION_WEIGHTS_NAME)
    pixels = torch.randint(0, 256, (2, 3, 16, 16), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        pool, _ = reference(pixels.to(torch.uint8))
    torch.testing.assert_close(extractor.extract(pixels / 127.5 - 1)[0], pool, rtol=0, atol=1e-5)
    assert extractor.name == "inception" and extractor.weights_id == "6726825d"  # not cached: the file's own id


def test_offline_without_weights_says_which_file_to_put_where(tmp_path, monkeypatch, capsys) -> None:
    try:
        inception_class = inception.torch_fidelity_inception()
    except UserError as error:
        pytest.skip(f"torch-fidelity cannot be imported: {error}")

    def offline(url: str, progress: bool = True) -> dict:
        raise URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setitem(inception_class.__init__.__globals__, "load_state_dict_from_url", offline)
    monkeypatch.setattr(inception, "torch_fidelity_inception", lambda: inception_class)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("WGANLAB_CACHE", str(tmp_path / "cache"))
    samples = tmp_path / "samples.npy"
    np.save(samples, np.zeros((4, 8, 8), dtype=np.uint8))
    code = cli.main(["evaluate", str(samples), "--data", "digits", "--extractor", "inception", "--metrics", "fid"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert "cannot fetch the Inception weights" in err[0] and inception.INCEPTION_WEIGHTS_NAME in err[0]
    assert str(tmp_path / "torch" / "hub" / "checkpoints") in err[0] and "eval.extractor_weights" in err[0]
