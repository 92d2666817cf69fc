"""Distributed training (torchrun, gloo on the CPU) computes the update one process computes with the same global
batch; its parts (sharding, gradient averaging, SyncedBatchNorm) are checked on their own as well."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from tests.training.double import EQUAL
from wganlab import sharding
from wganlab.config import Config
from wganlab.errors import ConfigError
from wganlab.sharding import Shard
from wganlab.training.checkpoint import read
from wganlab.training.validation import validate

WORKER = Path(__file__).with_name("distributed_worker.py")
TORCHRUN = [sys.executable, "-m", "torch.distributed.run"]  # what the `torchrun` script runs, whatever PATH says
SMALL = "model.width=32,train.batch_size=16,eval.samples=100,eval.w1_samples=100"
TOY = f"data.name=8gaussians,optim.decay_steps=0,{SMALL}"
DCGAN = ("data.name=digits,model.arch=dcgan,model.width=8,model.latent_dim=16,model.generator_norm=batch,"
         "model.critic_norm=batch,objective.loss=non-saturating,objective.penalty=none,objective.constraint=none,"
         "train.batch_size=16,train.critic_iters=1,train.ema_decay=0")
CASES = {
    "wasserstein-gp": ("wgan-gp-toy", TOY),
    "wasserstein-clip": ("wgan-gp-toy", f"{TOY},objective.penalty=none,objective.constraint=clip"),
    "hinge-spectral-norm": ("wgan-gp-toy", f"{TOY},objective.loss=hinge,objective.penalty=none,"
                                           "objective.constraint=spectral-norm"),
    "non-saturating-r1": ("wgan-gp-toy", f"{TOY},objective.loss=non-saturating,objective.penalty=r1,"
                                         "objective.penalty_weight=5"),
    "rpgan-r1r2": ("wgan-gp-toy", f"{TOY},objective.loss=rpgan,objective.penalty=r1+r2,objective.penalty_weight=0.5,"
                                  "objective.penalty_decay=cosine,objective.penalty_final=0.1"),
    "ragan-max-gp": ("wgan-gp-toy", f"{TOY},objective.loss=ragan,objective.penalty=max-gp"),
    "wasserstein-div": ("wgan-gp-toy", f"{TOY},objective.penalty=wgan-div,objective.penalty_weight=2"),
    "wasserstein-zero-gp": ("wgan-gp-toy", f"{TOY},objective.penalty=zero-gp"),
    "dcgan-syncbn": ("digits", f"{DCGAN},train.sync_batchnorm=true"),
    "dcgan-gp-diffaug": ("digits", f"{DCGAN},train.sync_batchnorm=true,model.critic_norm=none,"
                                   "objective.loss=wasserstein,objective.penalty=gp,data.augment=diffaug,data.stack=3"),
    "dcgan-rank-bn": ("digits", DCGAN),  # per-rank BatchNorm statistics: expected to differ
}
STEPS = 20


def _arguments(out: Path) -> list[str]:
    cases = [item for name, (preset, overrides) in CASES.items() for item in (name, preset, overrides)]
    return [str(out), str(STEPS), "float64", *cases]


def torchrun(*arguments: str, timeout: float = 300, **environment: str) -> subprocess.CompletedProcess[str]:
    """torchrun with 2 processes on this machine (gloo), as a user starts it, with faulthandler on: a native crash
    (gloo once aborted rank 1 at interpreter teardown after finished jobs, 1 job in 12, which
    `distributed.end_process` ends) fails the test with each process's Python stacks in its message (`_failed`)."""
    env = os.environ | {"OMP_NUM_THREADS": "1", "PYTHONFAULTHANDLER": "1"} | environment
    command = [*TORCHRUN, "--standalone", "--nproc_per_node", "2", *arguments]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, check=False)


@pytest.fixture(scope="module")
def networks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[dict, dict]]:
    """{case: (one process's final networks, two processes')}, each trained STEPS steps in float64."""
    one, two = tmp_path_factory.mktemp("one"), tmp_path_factory.mktemp("two")
    env = os.environ | {"OMP_NUM_THREADS": "1"}
    alone = subprocess.run([sys.executable, str(WORKER), *_arguments(one)], capture_output=True, text=True,
                           timeout=300, env=env, check=False)
    assert alone.returncode == 0, alone.stderr[-3000:]
    pair = torchrun(str(WORKER), *_arguments(two))
    assert pair.returncode == 0, _failed(pair.stderr, pair.stdout)
    return {name: (torch.load(one / f"{name}.pt"), torch.load(two / f"{name}.pt")) for name in CASES}


def _failed(stderr: str, stdout: str = "") -> str:
    """What a failed torchrun job printed: each rank's own lines (torchrun's traceback hides them), the end of its
    standard output, the Python stacks of a native crash (faulthandler, PYTHONFAULTHANDLER=1), then the end."""
    ranks = ["\n".join(line for line in stderr.splitlines() if line.startswith(f"[rank{r}]"))[-3000:] for r in (0, 1)]
    crash = stderr.find("Fatal Python error")
    stacks = f"the crash:\n{stderr[crash:crash + 6000]}\n" if crash >= 0 else ""
    return (f"rank 0 printed:\n{ranks[0]}\nrank 1 printed:\n{ranks[1]}\nstandard output:\n{stdout[-1500:]}\n"
            f"{stacks}the end:\n{stderr[-3000:]}")


def _largest_difference(a: dict, b: dict) -> float:
    return max(
        (a[net][key].double() - b[net][key].double()).abs().max().item()
        for net in ("generator", "critic") for key in a[net] if a[net][key].is_floating_point()
    )


@pytest.mark.parametrize("case", [name for name in CASES if name != "dcgan-rank-bn"])
@pytest.mark.equivalence
def test_two_processes_train_what_one_process_trains(networks: dict, case: str) -> None:
    one, two = networks[case]
    assert set(one["critic"]) == set(two["critic"])
    difference = _largest_difference(one, two)
    print(f"\n{case}: 2 processes against 1, largest parameter difference after {STEPS} steps {difference:.2g}")
    assert difference < EQUAL, f"{case}: 2 processes differ from 1 by {difference:.3g} after {STEPS} steps"


@pytest.mark.equivalence
def test_without_synced_batchnorm_each_rank_normalises_its_own_shard(networks: dict) -> None:
    """The control: per-rank BatchNorm statistics are not the global batch's, so the runs part (SyncedBatchNorm is
    what makes dcgan-syncbn equal)."""
    one, two = networks["dcgan-rank-bn"]
    difference = _largest_difference(one, two)
    print(f"\ndcgan-rank-bn: 2 processes against 1, largest parameter difference {difference:.2g}")
    assert difference > 1e-4


def test_a_rank_draws_its_rows_of_the_global_draw() -> None:
    whole = torch.randn((8, 3), generator=torch.Generator().manual_seed(1))
    for rank in (0, 1):
        with sharding.sharded(Shard(rank, 2)):
            part = sharding.randn((4, 3), torch.Generator().manual_seed(1), "cpu", torch.float32)
        assert torch.equal(part, whole[rank * 4 : rank * 4 + 4])
    assert sharding.current() == Shard()


def test_a_batch_that_does_not_split_over_the_processes_is_refused() -> None:
    with pytest.raises(ConfigError, match="does not split over 3 processes"):
        validate(Config(), world=3)  # batch 256
    validate(Config(), world=2)


RUN = ["--preset", "wgan-gp-toy", "--steps", "160", "--set", "model.width=32", "--set", "train.batch_size=16",
       "--set", "train.checkpoint_every=20", "--set", "eval.every=0", "--set", "eval.samples=100",
       "--set", "eval.w1_samples=100", "--set", "eval.diagnostics=false", "--set", "eval.figures=false"]


def _rank_pid(rank: int, timeout: float = 60) -> int:
    """The pid of the `wganlab train` process torchrun started as `rank`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for entry in Path("/proc").iterdir():
            try:
                command = (entry / "cmdline").read_bytes().split(b"\0")
                environment = (entry / "environ").read_bytes().split(b"\0")
            except (OSError, ValueError):
                continue
            if b"wganlab" in command and b"train" in command and f"RANK={rank}".encode() in environment:
                return int(entry.name)
        time.sleep(0.1)
    raise AssertionError(f"no rank {rank} process found")


def _networks_of(checkpoint_file: Path) -> dict[str, dict[str, torch.Tensor]]:
    payload = read(checkpoint_file)
    return {key: payload[key] for key in ("generator", "critic", "generator_ema") if payload[key] is not None}


@pytest.mark.equivalence
def test_a_killed_rank_ends_the_job_in_one_line_and_the_resumed_job_ends_bitwise_as_an_unbroken_one(tmp_path):
    unbroken = torchrun("-m", "wganlab", "train", *RUN, "--outdir", str(tmp_path / "unbroken"))
    assert unbroken.returncode == 0, _failed(unbroken.stderr, unbroken.stdout)
    env = os.environ | {"OMP_NUM_THREADS": "1"}
    job = subprocess.Popen([*TORCHRUN, "--standalone", "--nproc_per_node", "2", "-m", "wganlab", "train", *RUN,
                            "--outdir", str(tmp_path / "broken")], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, env=env)
    deadline = time.monotonic() + 120
    while not list((tmp_path / "broken").glob("*/checkpoints/checkpoint-0000020.pt")):
        assert time.monotonic() < deadline and job.poll() is None, "the job wrote no first checkpoint"
        time.sleep(0.05)
    os.kill(_rank_pid(1), signal.SIGKILL)
    killed = time.monotonic()
    _, stderr = job.communicate(timeout=90)
    ended = time.monotonic() - killed
    print(f"\nrank 1 SIGKILLed; every process of the job had ended {ended:.2f} s later")
    assert ended < 60
    assert job.returncode != 0
    ours = [line for line in stderr.splitlines() if line.startswith("wganlab:")]
    assert len(ours) == 1, stderr
    assert ours[0].startswith("wganlab: error: rank 0: lost contact with the other processes") and "--resume" in ours[0]
    (folder,) = (tmp_path / "broken").iterdir()
    assert str(folder) in ours[0]
    stopped_at = int(sorted(folder.glob("checkpoints/*.pt"))[-1].stem.split("-")[1])
    assert stopped_at < 160
    resumed = torchrun("-m", "wganlab", "train", "--resume", str(folder))
    assert resumed.returncode == 0, _failed(resumed.stderr, resumed.stdout)
    assert f"resuming {folder} at step {stopped_at}" in resumed.stdout
    (reference,) = (tmp_path / "unbroken").glob("*/checkpoints/checkpoint-0000160.pt")
    expected, got = _networks_of(reference), _networks_of(folder / "checkpoints" / "checkpoint-0000160.pt")
    for network, tensors in expected.items():
        for name, tensor in tensors.items():
            assert torch.equal(tensor, got[network][name]), f"{network} {name} differs after the resume"


@pytest.mark.equivalence
def test_an_image_evaluation_shared_by_two_ranks_equals_one_process_s(tmp_path) -> None:
    """Each rank generates and summarises its half of the images; rank 0 joins the summaries in order, so every
    metric (KID's subsets and IS's splits depend on the order too) equals one process's: to float64 rounding (the
    generator runs in float64 in the worker, the features are float64, and batches of other sizes may sum in
    another order), far below any difference a wrong share or order makes."""
    worker = str(Path(__file__).with_name("evaluation_worker.py"))
    overrides = "data.stack=1,model.width=8,eval.image_samples=600,train.ema_decay=0"
    env = os.environ | {"OMP_NUM_THREADS": "1"}
    alone = subprocess.run([sys.executable, worker, str(tmp_path / "one.json"), overrides], capture_output=True,
                           text=True, timeout=300, env=env, check=False)
    assert alone.returncode == 0, alone.stderr[-3000:]
    pair = torchrun(worker, str(tmp_path / "two.json"), overrides)
    assert pair.returncode == 0, _failed(pair.stderr, pair.stdout)
    one, two = (json.loads((tmp_path / name).read_text()) for name in ("one.json", "two.json"))
    assert one["modes_600"] >= 5 and one["is_600"] > 2  # diverse images, so a wrong share would show
    assert one.keys() == two.keys()
    assert all(two[key] == pytest.approx(one[key], rel=1e-9, abs=1e-12, nan_ok=True) for key in one), (one, two)
