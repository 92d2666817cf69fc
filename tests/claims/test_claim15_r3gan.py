"""Claim 15 (R3GAN on stacked digits): a well-formed quick run, the failure rule, and the verdict from the checks."""

from __future__ import annotations

import math

from tests.claims.conftest import assert_well_formed
from wganlab import config as configuration
from wganlab.claims import claim15_r3gan as claim
from wganlab.claims.context import ClaimContext
from wganlab.runlogs import RunLogs


def _run(kls: list[float], stopped_at: int | None = None, modes: float = 900.0) -> RunLogs:
    metrics = [{"step": 10 * (i + 1), "modes_500": modes, "reverse_kl_500": kl, "fid_500": 50.0}
               for i, kl in enumerate(kls)]
    events = [] if stopped_at is None else [{"step": stopped_at, "event": "nonfinite", "quantity": "x",
                                             "action": "stop"}]
    return RunLogs(folder=None, config=configuration.load(preset=claim.PRESET), stats=[], metrics=metrics,
                   diagnostics=[], summary=None, figures=[], events=events)


def test_quick_run_is_well_formed(quick_claim):
    result = quick_claim(15)
    assert_well_formed(result, 15)
    (table,) = result.tables
    assert len(table.rows) == len(claim.METHODS) * len(result.outcomes)
    for outcome in result.outcomes:
        assert len(outcome.checks) == 4


def test_a_run_fails_when_it_stops_or_loses_what_it_learned():
    assert not claim.ending(_run([3.0, 1.0, 0.5])).fails
    assert not claim.ending(_run([3.0, 0.5, 1.0])).fails  # exactly twice its best: still within the rule
    assert claim.ending(_run([3.0, 0.5, 1.01])).fails  # more than twice its best
    stopped = claim.ending(_run([3.0, 1.0], stopped_at=25))
    assert stopped.fails and stopped.stopped_at == 25 and stopped.reverse_kl == 1.0
    never = claim.ending(_run([], stopped_at=3))  # stopped before its first evaluation
    assert never.fails and math.isnan(never.modes)


def test_the_verdict_follows_the_four_checks():
    good = claim.ending(_run([2.0, 0.1], modes=1000))
    worse = claim.ending(_run([2.0, 0.5], modes=700))
    diverged = claim.ending(_run([2.0, 0.4], stopped_at=30))
    published = {claim.FULL: good, claim.BASE: worse, claim.RP_R1: diverged, claim.GAN_R1: diverged}
    assert claim.outcome(0, published).verdict == "holds"
    # none of the four: the GAN covers more, R1 alone is stable, and an R1 + R2 run fails
    reversed_ = {claim.FULL: worse, claim.BASE: good, claim.RP_R1: good, claim.GAN_R1: good}
    assert claim.outcome(0, reversed_ | {claim.FULL: diverged}).verdict == "does not hold"
    stable = {claim.FULL: good, claim.BASE: worse, claim.RP_R1: good, claim.GAN_R1: good}
    outcome = claim.outcome(0, stable)
    assert outcome.verdict == "mixed" and list(outcome.checks.values()) == [True, False, False, True]
    tie = claim.outcome(0, published | {claim.BASE: claim.ending(_run([2.0, 0.1], modes=1000))})
    assert not list(tie.checks.values())[0]  # equal modes and equal KL: not a lower reverse KL


def test_the_four_methods_differ_only_in_loss_and_penalty_and_a_divergence_ends_their_run(tmp_path, monkeypatch):
    calls: list[tuple[str, dict, bool]] = []
    context = ClaimContext((0,), False, tmp_path / "figures", tmp_path / "runs", log=lambda line: None)
    monkeypatch.setattr(context, "train", lambda preset, values, divergence_ends_run=False: calls.append(
        (preset, dict(values), divergence_ends_run)) or _run([1.0]))
    for method in claim.METHODS:
        claim._train(context, method, seed=4)
    assert {preset for preset, _, _ in calls} == {"r3gan-digits"} and all(ends for _, _, ends in calls)
    chosen = [(values.pop("objective.loss"), values.pop("objective.penalty")) for _, values, _ in calls]
    assert chosen == [("rpgan", "r1+r2"), ("non-saturating", "r1+r2"), ("rpgan", "r1"), ("non-saturating", "r1")]
    assert all(values == calls[0][1] for _, values, _ in calls)  # everything else the same
    assert calls[0][1]["train.seed"] == 4 and calls[0][1]["train.steps"] == calls[0][1]["optim.decay_steps"] == 5000


def test_a_rollback_is_not_a_stop_and_a_nan_reverse_kl_is_not_the_lowest():
    run = _run([2.0, math.nan, 0.5])
    run.events.append({"step": 15, "event": "nonfinite", "quantity": "x", "action": "rollback"})
    end = claim.ending(run)
    assert end.stopped_at is None and end.lowest_kl == 0.5 and not end.fails

