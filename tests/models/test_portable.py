"""The exported generator file: a round trip of weights, config and provenance; the caller's RNG untouched;
the weights asked for or a line saying how to export them; an unknown device in one line."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from wganlab import config as configuration
from wganlab.errors import UserError
from wganlab.models.architectures import build_networks
from wganlab.models.portable import assemble, encode, read

SHAPE = (1, 8, 8)


def _generator(ema: bool, ema_decay: float = 0.5):
    config = configuration.load(None, "digits", ["data.stack=1", "model.width=8", "model.latent_dim=4",
                                                 f"train.ema_decay={ema_decay}"])
    torch.manual_seed(3)
    weights = build_networks(config.model, SHAPE)[0].state_dict()
    return assemble(weights, config, SHAPE, ema, 7, {"run": "a" * 32, "metrics": {"fid_10": 1.5}})


def test_a_round_trip_keeps_weights_config_and_provenance_and_leaves_the_rng_alone(tmp_path: Path) -> None:
    made = _generator(ema=True)
    path = tmp_path / "g.safetensors"
    path.write_bytes(encode(made))
    before = torch.get_rng_state()
    back = read(path)
    assert torch.equal(torch.get_rng_state(), before)  # building the network drew no numbers of the caller's
    for name, tensor in made.module.state_dict().items():
        assert torch.equal(back.module.state_dict()[name], tensor), name
    assert back.config == made.config and back.shape == SHAPE and back.step == 7 and back.ema
    assert back.provenance == {"run": "a" * 32, "metrics": {"fid_10": 1.5}}
    assert torch.equal(back.sample(5, seed=2), made.sample(5, seed=2))


@pytest.mark.parametrize(
    ("ema", "ema_decay", "asked", "message"),
    [(True, 0.5, False, "holds the EMA generator"), (False, 0.5, True, "exported with --raw"),
     (False, 0.0, True, None)],  # a run without EMA: its trained weights are what ema=True gives
)
def test_the_weights_asked_for_or_how_to_export_them(tmp_path, ema, ema_decay, asked, message) -> None:
    path = tmp_path / "g.safetensors"
    path.write_bytes(encode(_generator(ema, ema_decay)))
    if message is None:
        assert read(path, ema=asked).ema is False
    else:
        with pytest.raises(UserError, match=message):
            read(path, ema=asked)


@pytest.mark.parametrize("device", ["cuda:9999", "nowhere"])  # no machine has 10,000 GPUs
def test_an_unknown_or_absent_device_is_one_line(tmp_path, device) -> None:
    path = tmp_path / "g.safetensors"
    path.write_bytes(encode(_generator(True)))
    with pytest.raises(UserError, match="cannot put the generator on device") as error:
        read(path, device=device)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("shape", "message"),
    [((2,), "describes a generator that cannot be built"),  # 2-D points asked of an image network
     ((1, 4096, 4096), "do not fit the generator its config describes")],  # a far larger network: never allocated
)
def test_weights_of_another_network_are_refused_before_any_is_built(shape, message, monkeypatch) -> None:
    made = _generator(ema=True)
    weights = made.module.state_dict()
    built = []
    monkeypatch.setattr("wganlab.models.portable.build_networks",
                        lambda *args: built.append(torch.empty(0).device) or build_networks(*args))
    with pytest.raises(UserError, match=message) as error:
        assemble(weights, made.config, shape, True, 7, {}, origin="mine.pt")
    assert str(error.value).startswith("mine.pt is malformed: ") and "\n" not in str(error.value)
    assert built == [torch.device("meta")]  # the check's network only, on the meta device
