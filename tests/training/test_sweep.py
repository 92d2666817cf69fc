"""wganlab sweep: every member is its separate run (weights, optimiser moments, streams, logs), a non-finite member
stops alone, the grid groups what cannot be batched, and what cannot be batched exactly is refused in one line."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import torch

from tests.training.double import EQUAL, building_in
from wganlab import cli, rundir
from wganlab import config as configuration
from wganlab.config import ConfigError
from wganlab.errors import UserError
from wganlab.models.stacked import Stacked, StackError
from wganlab.reports.compare import comparison_html
from wganlab.training import checkpoint, loop, session, sweep

SMALL = ["model.width=16", "model.depth=2", "train.batch_size=32", "eval.samples=200", "eval.w1_samples=200",
         "eval.figures=false", "eval.every=0", "eval.diagnostics=false"]


def _base(*overrides: str, preset: str = "grid", steps: int = 200) -> configuration.Config:
    return configuration.load(None, preset, [*SMALL, *overrides], steps)


def _swept(tmp_path: Path, base: configuration.Config, grid: dict, seeds: list[int] | None) -> sweep.Sweep:
    started = sweep.start(base, grid, seeds, tmp_path / "sweeps")
    return sweep.fit(started, console=io.StringIO())


def _alone(tmp_path: Path, config: configuration.Config) -> Path:
    folder, run, state = session.start(config, tmp_path / "alone")
    loop.fit(folder, run, state, console=io.StringIO())
    return folder


def _largest_difference(first: Path, second: Path) -> float:
    """The largest elementwise difference between two runs' final checkpoints: weights and optimiser moments."""
    a, b = (checkpoint.read(rundir.checkpoints(folder)[-1]) for folder in (first, second))
    assert a["step"] == b["step"]
    largest = 0.0
    for key in ("generator", "critic"):
        for name, value in a[key].items():
            largest = max(largest, float((value - b[key][name]).abs().max()))
    for key in ("generator_optimizer", "critic_optimizer"):
        for index, moments in a[key]["state"].items():
            for name, value in moments.items():
                largest = max(largest, float((value - b[key]["state"][index][name]).abs().max()))
    assert torch.equal(a["rng"], b["rng"]) and torch.equal(a["data_rng"], b["data_rng"])  # the same draws, in order
    return largest


R3GAN = ("objective.loss=rpgan", "objective.penalty=r1+r2", "objective.penalty_decay=cosine",
         "objective.penalty_final=0.1", "optim.lr_decay=cosine", "optim.lr_final=0.25", "optim.betas=[0.0, 0.99]")
RAGAN_MAX_GP = ("objective.loss=ragan", "objective.penalty=max-gp")


@pytest.mark.equivalence
@pytest.mark.parametrize(
    ("preset", "grid", "extra"),
    [("grid", {"objective.penalty_weight": [0.1, 1.0]}, ()), ("wgan-toy", {"objective.clip_value": [0.1, 0.01]}, ()),
     ("grid", {"objective.penalty_weight": [0.05, 0.5]}, R3GAN),
     ("grid", {"objective.penalty_weight": [0.1, 1.0]}, RAGAN_MAX_GP)],
    ids=["gp-lambda", "clip-c", "rpgan-r1r2-gamma", "ragan-max-gp-lambda"],
)
def test_each_member_is_its_separate_run_after_200_steps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          preset: str, grid: dict, extra: tuple[str, ...]) -> None:
    """In float64 (double.py: in float32 the stacked run's batched products round otherwise than a separate run's,
    and 200 Adam steps amplify that to 1e-4 or more, by how much depending on the CPU)."""
    for module in (sweep, session):
        monkeypatch.setattr(module, "build", building_in(torch.float64, module.build))
    base = _base("train.critic_iters=2", *extra, preset=preset)
    done = _swept(tmp_path, base, grid, [0, 1])
    assert [m.plan.values for m in done.members] == [
        {**{key: value}, "train.seed": seed} for key, values in grid.items() for value in values for seed in (0, 1)
    ]
    assert len(done.groups) == 1  # one stacked run of four
    for member in (done.members[0], done.members[3]):  # both grid values, both seeds
        alone = _alone(tmp_path, member.plan.config)
        difference = _largest_difference(member.folder, alone)
        print(f"{preset} {member.plan.label}: largest difference from its separate run {difference:.3g}")
        assert difference <= EQUAL
        ours, theirs = (json.loads((run / "summary.json").read_text())["metrics"] for run in (member.folder, alone))
        assert ours.keys() == theirs.keys()
        assert ours["w1_200"] == pytest.approx(theirs["w1_200"], rel=1e-6)
    if preset == "wgan-toy":  # each member clipped to its own c
        for member in done.members:
            weights = checkpoint.read(rundir.checkpoints(member.folder)[-1])["critic"]
            c = member.plan.config.objective.clip_value
            assert max(float(w.abs().max()) for w in weights.values()) == pytest.approx(c, rel=1e-12)


DIGITS_DIFFAUG = ("data.name=digits", "model.arch=dcgan", "model.width=8", "model.latent_dim=8", "train.batch_size=16",
                  "model.generator_norm=none", "train.critic_iters=2", "data.augment=diffaug", "eval.metrics=[]")


@pytest.mark.equivalence
def test_a_member_with_diffaugment_is_its_separate_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Images [K, N, C, H, W]: each member's augmentation draws from its own stream, in its own run's order
    (float64, as above)."""
    for module in (sweep, session):
        monkeypatch.setattr(module, "build", building_in(torch.float64, module.build))
    base = _base(*DIGITS_DIFFAUG, preset="digits", steps=20)
    done = _swept(tmp_path, base, {"objective.penalty_weight": [1.0, 10.0]}, [0, 1])
    assert len(done.groups) == 1
    for member in (done.members[0], done.members[3]):
        difference = _largest_difference(member.folder, _alone(tmp_path, member.plan.config))
        print(f"digits diffaug {member.plan.label}: largest difference from its separate run {difference:.3g}")
        assert difference <= EQUAL


def test_a_member_whose_parameter_breaks_between_readings_is_named_in_its_own_network(tmp_path, monkeypatch):
    """Member 1's first critic weight made NaN after step 3, the tally read at step 5 (log_every 5): the member
    stops naming step 3 and its own parameter (not the stacked network's `stack.0`); member 0 trains on."""
    original = sweep.train_step

    def poisoned(run, state):  # type: ignore[no-untyped-def]
        stats = original(run, state)
        if state.step + 1 == 3:
            with torch.no_grad():
                next(state.critic.parameters())[1].fill_(float("nan"))
        return stats

    monkeypatch.setattr(sweep, "train_step", poisoned)
    done = _swept(tmp_path, _base("train.log_every=5", "train.checkpoint_every=10", steps=10), {}, [0, 1])
    fine, broken = done.members
    assert fine.stopped is None and fine.summary is not None and fine.summary.step == 10
    first = next(name for name, _ in broken.state.critic.named_parameters())
    assert broken.stopped is not None and f"training stopped at step 3: critic parameter {first} is" in broken.stopped


def test_a_non_finite_member_stops_alone_and_says_where(tmp_path: Path) -> None:
    base = _base("train.checkpoint_every=5", steps=20)
    done = _swept(tmp_path, base, {"objective.penalty_weight": [0.1, 1e38]}, [0])
    fine, broken = done.members
    assert fine.stopped is None and fine.summary is not None and fine.summary.step == 20
    assert broken.stopped is not None and "training stopped at step 1" in broken.stopped
    assert not (broken.folder / "summary.json").exists() and rundir.checkpoints(broken.folder) == []
    events = [json.loads(line) for line in (broken.folder / rundir.EVENTS).read_text().splitlines()]
    assert events[0]["event"] == "nonfinite" and events[0]["action"] == "stop" and events[0]["step"] == 1
    record = json.loads((done.folder / rundir.SWEEP).read_text())
    assert [m["status"] for m in record["members"]] == ["done", "stopped"]


def test_a_failed_evaluation_never_costs_a_sweep_its_members_checkpoints(tmp_path: Path, monkeypatch) -> None:
    """As a run's: the second member's final evaluation fails; every member's checkpoint of that step is written
    before the error goes on (the first member's evaluated, the second's, and the third's, not yet reached)."""
    evaluated: list[Path] = []

    def fails_for_the_second(folder, run, state):
        evaluated.append(folder)
        if len(evaluated) == 2:
            raise RuntimeError("the evaluation failed")
        return {"critic_estimate": 0.0}  # what the console line needs

    monkeypatch.setattr(loop, "evaluate", fails_for_the_second)
    started = sweep.start(_base("train.checkpoint_every=100", "eval.every=0", steps=3),
                          {"objective.penalty_weight": [0.1, 1.0, 10.0]}, [0], tmp_path / "sweeps")
    console = io.StringIO()
    with pytest.raises(RuntimeError, match="the evaluation failed"):
        sweep.fit(started, console=console)
    assert len(evaluated) == 2
    failed = f"the sweep's evaluation (of {started.members[1].plan.label}) at step 3 failed"
    for member in started.members:
        assert [p.name for p in rundir.checkpoints(member.folder)] == ["checkpoint-0000003.pt"]
        assert f"{failed}; the step's checkpoint is kept ({member.folder}" in console.getvalue()
    _, _, state = session.resume(started.members[2].folder, steps=4)
    assert state.step == 3


def test_the_grid_groups_what_cannot_be_stacked_and_parses_its_values() -> None:
    assert sweep.parse_grid(["objective.clip_value=1,0.1,0.01", "model.activation=relu,tanh"]) == {
        "objective.clip_value": [1, 0.1, 0.01], "model.activation": ["relu", "tanh"]}
    assert sweep.parse_seeds("0-3") == [0, 1, 2, 3] and sweep.parse_seeds("5,1,5") == [5, 1]
    for bad in ("3-1", "a", "-1"):
        with pytest.raises(ConfigError, match="--seeds"):
            sweep.parse_seeds(bad)
    with pytest.raises(ConfigError, match="section.key=v1,v2"):
        sweep.parse_grid(["clip_value=1"])
    plans = sweep.plan(_base(), {"model.width": [8, 16]}, [0, 1])
    assert [p.label for p in plans] == ["width=8 seed=0", "width=8 seed=1", "width=16 seed=0", "width=16 seed=1"]
    with pytest.raises(ConfigError, match="model.width"):
        sweep.plan(_base(), {"model.width": [0]}, None)


@pytest.mark.equivalence
def test_stacked_networks_match_their_members_on_both_paths() -> None:
    """In float64: the batched products round otherwise than the separate ones in float32."""
    from wganlab.models.mlp import MLP

    torch.manual_seed(0)
    for make in (lambda: MLP(2, 1, 8, 2, "relu"), lambda: torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh())):
        networks = [make().double() for _ in range(3)]
        inputs = torch.randn(3, 5, 2, dtype=torch.float64)
        expected = torch.stack([network(inputs[k]) for k, network in enumerate(networks)])
        fast = Stacked(networks)
        general = Stacked(networks)
        general._chain = None  # the vmap path every other architecture takes
        torch.testing.assert_close(fast(inputs), expected)
        torch.testing.assert_close(general(inputs), expected)
    with pytest.raises(StackError, match="buffers"):  # BatchNorm's running statistics: refused before any folder
        Stacked([torch.nn.BatchNorm1d(2), torch.nn.BatchNorm1d(2)])
    with pytest.raises(StackError, match="shapes"):
        Stacked([torch.nn.Linear(2, 3), torch.nn.Linear(2, 4)])


def test_the_command_line_sweeps_refuses_and_compare_reads_the_sweep(tmp_path: Path, capsys) -> None:
    common = ["--steps", "4", *[item for pair in zip(["--set"] * len(SMALL), SMALL, strict=True) for item in pair]]
    assert cli.main(["sweep", "--dry-run", "--grid", "model.width=8,16", "--seeds", "0-1", *common]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "group 0  width=8 seed=0", "group 0  width=8 seed=1", "group 1  width=16 seed=0", "group 1  width=16 seed=1"]
    assert cli.main(["sweep", "--grid", "objective.constraint=spectral-norm", "--seeds", "0", "--outdir",
                     str(tmp_path / "out"), *common]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("wganlab: error: wganlab sweep cannot batch objective.constraint = 'spectral-norm'")
    assert len(error.splitlines()) == 1 and not (tmp_path / "out").exists()  # nothing written
    assert cli.main(["sweep", "--seeds", "0-1", "--outdir", str(tmp_path), *common]) == 0
    folder = next(tmp_path.iterdir())
    assert "comparison of 2 runs" in comparison_html([folder])
    member = folder / json.loads((folder / rundir.SWEEP).read_text())["members"][0]["folder"]
    with pytest.raises(UserError, match="already at step 4 of 4"):  # a member is an ordinary run
        session.resume(member)
    resumed, _, state = session.resume(member, steps=6)  # its checkpoint goes on alone
    session.release(resumed)
    assert resumed == member and state.step == 4
