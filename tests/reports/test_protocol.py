"""Metric and diagnostic notes: the protocol in one line, with the sample count the metric's name carries."""

from __future__ import annotations

import pytest

from wganlab.reports.protocol import DIAGNOSTIC_NOTES, IMAGE_NOTES, TOY_NOTES, diagnostic_note, metric_note


def test_the_note_carries_the_sample_count():
    assert metric_note("w1_2000", images=False) == (
        "exact W1 (optimal transport, POT) between 2000 generated and 2000 real points; lower is better"
    )
    assert "of 200 generated and of real images" in metric_note("fid_200", images=True)
    assert "subsets of min(1000, 50)" in metric_note("kid_50", images=True)


def test_image_and_toy_notes_differ_for_the_same_name():
    toy, image = metric_note("modes_2500", images=False), metric_note("modes_2500", images=True)
    assert toy.startswith("modes captured: nearest mode") and "among 2500 generated" in toy
    assert image.startswith("classes (argmax per channel") and "one of 2500 generated" in image
    assert metric_note("reverse_kl_10", images=False) != metric_note("reverse_kl_10", images=True)


def test_longer_prefixes_win():
    assert metric_note("kid_std_2000", images=True) == "standard deviation of KID over its 100 subsets"
    assert metric_note("is_std_2000", images=True) == "standard deviation of IS over its 10 splits"


def test_plain_notes_are_the_same_for_both():
    for key in ("critic_estimate", "total_modes", "nonfinite_samples"):
        assert metric_note(key, images=True) == metric_note(key, images=False) != ""


@pytest.mark.parametrize(
    ("key", "images"), [("bleu_100", True), ("fid_2000", False), ("w1_2000", True), ("fid", True), ("", False)]
)
def test_unknown_keys_give_no_note(key, images):
    assert metric_note(key, images) == ""


def test_a_name_without_a_count_shows_a_question_mark():
    assert "between ? generated and ? real points" in metric_note("w1_all", images=False)


def test_every_note_is_one_line():
    for notes in (TOY_NOTES, IMAGE_NOTES, DIAGNOSTIC_NOTES):
        assert all(note and "\n" not in note for note in notes.values())


def test_diagnostic_notes():
    assert diagnostic_note("lipschitz/spectral_bound").startswith("product of the layers' spectral norms")
    assert diagnostic_note("lipschitz/unknown") == ""
