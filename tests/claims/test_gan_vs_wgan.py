"""The paired WGAN-GP and GAN runs that claims 8, 10 and 11 share, and the readings they take from them."""

from __future__ import annotations

from pathlib import Path

import pytest

from wganlab.claims import gan_vs_wgan
from wganlab.config import Config
from wganlab.runlogs import RunLogs, expand_sweeps, read_run


def test_claims_8_10_and_11_share_their_paired_runs(quick_claim):
    for number in (8, 10, 11):
        quick_claim(number)
    figure = quick_claim(8).figures[0]
    folders = expand_sweeps(list((figure.parent.parent / "runs").iterdir()))  # other claims' runs too (claim 4's sweep)
    runs = [read_run(folder) for folder in folders]
    paired = [(run.config.preset, run.config.data.name) for run in runs if run.config.train.steps == 120]
    assert sorted(paired) == [("gan-ns", "8gaussians"), ("gan-ns", "grid"), ("grid", "8gaussians"), ("grid", "grid"),
                              ("wgan-paper", "8gaussians")]  # claim 8's WGAN in the paper's setting


def test_readings_of_a_run():
    metrics = [{"step": 1, "w1_300": 0.5, "modes_300": 3.0}, {"step": 2, "w1_300": float("nan")},
               {"step": 3, "w1_300": 0.2, "modes_300": 5.0}]
    run = RunLogs(Path("."), Config(), [], metrics, [], None, [])
    assert gan_vs_wgan.metric_key(run, "modes_") == "modes_300"
    assert gan_vs_wgan.series(run, "w1_300") == ([1, 3], [0.5, 0.2])  # non-finite values left out
    assert gan_vs_wgan.final_metric(run, "w1_") == 0.2


def test_the_real_data_floor_is_small_and_seeded():
    floor = gan_vs_wgan.real_w1_floor("8gaussians", 300, seed=0)
    assert floor == gan_vs_wgan.real_w1_floor("8gaussians", 300, seed=0)
    assert 0.0 < floor < 0.2
    with pytest.raises(KeyError):
        gan_vs_wgan.real_w1_floor("moons", 10, seed=0)
