"""data.augment in training: every critic input of every step is augmented and nothing outside the steps is
(the evaluation's and the probe's images never are), a resumed run ends bitwise as an unbroken one, and what
cannot be augmented is refused in one line."""

from __future__ import annotations

import pytest
import torch

from tests.bitwise import assert_bitwise_equal, unbroken_and_resumed
from tests.hostile import refused
from tests.tiny import DIGITS, TINY
from wganlab import cli
from wganlab.data.augment import AUGMENTATIONS, Augmentation, composed
from wganlab.parts import Parts
from wganlab.training import build, checkpoint, loop

DIFFAUG = [*DIGITS, "--set", "data.augment=diffaug", "--set", "data.stack=3"]


def test_the_augmentation_runs_for_every_critic_input_inside_the_steps_and_nowhere_else(tmp_path, monkeypatch) -> None:
    """Its calls, by batch size (that the critic scores what it returns: test_augmented_objective.py)."""
    moment, calls = ["setup"], []

    def recording(policy):  # type: ignore[no-untyped-def]
        inner = composed(policy)

        def augment(images, rng):  # type: ignore[no-untyped-def]
            calls.append((moment[0], images.shape[0]))
            return inner(images, rng)

        return augment

    entries = [AUGMENTATIONS["none"], Augmentation("diffaug", "recorded", recording)]
    monkeypatch.setattr(build, "AUGMENTATIONS", Parts("data.augment", entries))
    original = loop.train_step

    def step(run, state):  # type: ignore[no-untyped-def]
        moment[0] = f"step {state.step + 1}"
        stats = original(run, state)
        moment[0] = "between steps"
        return stats

    monkeypatch.setattr(loop, "train_step", step)
    arguments = [*DIFFAUG, "--set", "train.critic_iters=2", "--set", "train.generator_batch_size=24",
                 "--set", "eval.every=2", "--set", "eval.diagnostics=true"]
    assert cli.main(["train", *arguments, "--steps", "3", "--outdir", str(tmp_path)]) == 0
    # each step: two critic updates, each its real then its fake batch (16), then the generator's fakes (24)
    assert calls == [(f"step {s}", size) for s in (1, 2, 3) for size in (16, 16, 16, 16, 24)]


def test_an_augmented_run_resumed_ends_bitwise_equal_to_an_unbroken_one(tmp_path) -> None:
    argv = [*DIFFAUG, "--set", "train.checkpoint_every=5", "--set", "eval.every=5"]
    a, b = unbroken_and_resumed(tmp_path, argv, 10)
    for key in ("generator", "critic", "generator_ema", "generator_optimizer", "critic_optimizer", "rng", "data_rng"):
        assert_bitwise_equal(a[key], b[key], key)
    plain = [*DIGITS, "--set", "data.stack=3", "--set", "eval.every=5"]  # the same run without augmentation
    assert cli.main(["train", *plain, "--steps", "10", "--outdir", str(tmp_path / "plain")]) == 0
    (unaugmented,) = (tmp_path / "plain").glob("*/checkpoints/checkpoint-0000010.pt")
    critic = checkpoint.read(unaugmented)["critic"]
    assert not all(torch.equal(tensor, critic[name]) for name, tensor in a["critic"].items())


@pytest.mark.parametrize(("base", "settings", "message"), [
    (TINY, ["data.augment=diffaug"], "data.augment 'diffaug' applies to image data only"),
    (TINY, ["data.augment=diffaugment"], "unknown data.augment 'diffaugment'; did you mean 'diffaug'?"),
    (DIFFAUG, ["data.augment_policy=color,cutuot"], "unknown data.augment_policy 'cutuot'; did you mean 'cutout'?"),
    (DIFFAUG, ["data.augment_policy=[]"], "data.augment_policy must name each of its transforms once"),
    (DIFFAUG, ["data.augment_policy=cutout,cutout"], "data.augment_policy must name each of its transforms once"),
    (DIFFAUG, ["data.augment=none", "data.augment_policy=cutout"], "data.augment_policy is set but data.augment is"),
], ids=["toy", "unknown", "unknown-transform", "empty", "repeated", "policy-without-augment"])
def test_what_cannot_be_augmented_is_refused_in_one_line(base, settings, message, tmp_path, capsys) -> None:
    overrides = [item for setting in settings for item in ("--set", setting)]
    line = refused(["train", *base, *overrides, "--steps", "1", "--outdir", str(tmp_path)], capsys)
    assert message in line
