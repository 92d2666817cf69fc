"""The claims runner: --only parsing, and each result timed and logged with the claim's own title."""

from __future__ import annotations

import pytest
import torch

from tests.hostile import ActsIfUnpickled
from wganlab.claims.context import ClaimContext
from wganlab.claims.runner import parse_only, run_claims, threads_per_job
from wganlab.errors import UserError


def test_only_parses_claim_numbers_and_refuses_unknown_ones():
    assert parse_only("2, 5,12") == [2, 5, 12]
    assert parse_only(None) == list(range(1, 16))
    for bad in ("16", "two", "0", ","):
        with pytest.raises(UserError):
            parse_only(bad)


def test_each_result_is_timed_and_logged_with_its_title(tmp_path):
    lines: list[str] = []
    context = ClaimContext((0,), True, tmp_path / "figures", tmp_path / "runs", log=lines.append)
    (result,) = run_claims([7], context)
    assert result.number == 7 and result.seconds > 0
    assert lines == [f"[1/1] claim 7: {result.title}", f"    not judged  ({result.seconds:.0f} s)"]
    # --quick is a smoke test: no verdict anywhere, the numbers kept
    assert result.verdict == "not judged" and {o.verdict for o in result.outcomes} == {"not judged"}
    assert all(o.numbers for o in result.outcomes) and result.tables
    for table in result.tables:
        if "verdict" in table.headers:
            assert {row[table.headers.index("verdict")] for row in table.rows} == {"not judged"}


def test_claims_that_share_work_stay_in_one_process_and_the_costly_ones_are_spread() -> None:
    from wganlab.claims.runner import COST, partition

    shares = partition(list(range(1, 16)), 2)
    assert sorted(n for share in shares for n in share) == list(range(1, 16))
    for group in ({1, 6}, {2, 3}, {8, 10, 11, 14}):
        assert sum(bool(group & set(share)) for share in shares) == 1
    loads = [sum(COST[n] for n in share) for share in shares]
    assert max(loads) <= 1.1 * min(loads)  # balanced by the measured costs
    assert partition([3, 2], 4) == [[3, 2]]  # claims 2 and 3 share critics: one process for both


@pytest.mark.equivalence
def test_claims_run_in_two_processes_equal_one_process_with_their_threads(tmp_path):
    """Two spawned processes give, bitwise, the numbers one process gives with as many threads as each of them
    has (claims 5 and 12 share no work, so each goes to a process of its own). The thread count is held equal on
    purpose: float32 sums split over another number of threads round otherwise (claim 12's 'converging group:
    largest ratio' parts in its 7th digit between 1 process of 2 threads and 2 of 1 on an Intel Xeon)."""
    def context(name):
        return ClaimContext((0, 1), True, tmp_path / name / "figures", tmp_path / name / "runs", log=lambda line: None)

    pair = run_claims([12, 5], context("two"), 2)
    threads = torch.get_num_threads()
    torch.set_num_threads(threads_per_job(2))
    try:
        alone = run_claims([12, 5], context("one"), 1)
    finally:
        torch.set_num_threads(threads)
    assert [r.number for r in pair] == [12, 5] and {r.verdict for r in pair} == {"not judged"}
    for one, two in zip(alone, pair, strict=True):
        assert [o.numbers for o in one.outcomes] == [o.numbers for o in two.outcomes]
        assert repr(one.tables) == repr(two.tables)  # repr: a nan equals itself


def _refuse(number, context):
    raise AssertionError(f"claim {number} ran again")


def test_a_finished_claim_is_kept_and_reused_only_by_the_same_seeds_size_and_code(tmp_path, monkeypatch):
    from wganlab.claims import kept, runner

    lines: list[str] = []
    context = ClaimContext((0,), True, tmp_path / "figures", tmp_path / "runs", log=lines.append)
    (first,) = run_claims([12], context, 1, kept.Finished(tmp_path / "finished", resume=False))
    assert (tmp_path / "finished" / "claim-12.json").is_file()  # kept as soon as it was finished

    monkeypatch.setattr(runner, "run_claim", _refuse)
    lines.clear()
    (again,) = run_claims([12], context, 1, kept.Finished(tmp_path / "finished", resume=True))
    assert _same(again, first) and lines[-1].endswith("s, kept from an earlier run)")
    assert again.figures == first.figures and again.figures  # Paths again

    ran: list[int] = []
    monkeypatch.setattr(runner, "run_claim", lambda number, context: ran.append(number) or first)
    other_seeds = ClaimContext((1,), True, tmp_path / "figures", tmp_path / "runs", log=lines.append)
    run_claims([12], other_seeds, 1, kept.Finished(tmp_path / "finished", resume=True))
    assert ran == [12] and "is of other seeds, sizes or code; running claim 12" in lines[-2]
    monkeypatch.setattr(kept, "code_digest", lambda: "other code")
    run_claims([12], other_seeds, 1, kept.Finished(tmp_path / "finished", resume=True))
    assert ran == [12] * 2
    (tmp_path / "finished" / "claim-12.json").write_bytes(b"half a file")
    run_claims([12], context, 1, kept.Finished(tmp_path / "finished", resume=True))
    assert ran == [12] * 3 and "cannot be read (JSONDecodeError); running claim 12" in lines[-2]
    run_claims([12], context, 1, kept.Finished(tmp_path / "finished", resume=False))  # without --resume: runs
    assert ran == [12] * 4


def _same(a, b) -> bool:
    """Two results alike in every field (a nan equal to a nan)."""
    from wganlab.claims import kept

    return kept.canonical(kept.encode(a)) == kept.canonical(kept.encode(b))


def test_a_planted_pickle_is_never_loaded(tmp_path, monkeypatch):
    """A pickle planted where kept results are (the old name, and the new name) would make a folder if it were
    loaded: the claim runs again, and the folder is never made."""
    import pickle

    from wganlab.claims import kept, runner

    marker = tmp_path / "code-ran"
    planted = pickle.dumps(ActsIfUnpickled(marker))
    pickle.loads(planted)  # the plant works: unpickled, it makes the folder
    assert marker.is_dir()
    marker.rmdir()
    folder = tmp_path / "finished"
    folder.mkdir()
    (folder / "claim-12.pickle").write_bytes(planted)
    (folder / "claim-05.json").write_bytes(planted)
    lines: list[str] = []
    context = ClaimContext((0,), True, tmp_path / "figures", tmp_path / "runs", log=lines.append)
    ran: list[int] = []
    monkeypatch.setattr(runner, "run_claim", lambda number, context: ran.append(number) or _result(number, context))
    run_claims([12, 5], context, 1, kept.Finished(folder, resume=True))
    assert ran == [12, 5] and not marker.exists()
    assert any("was kept by an older wganlab as a pickle, which is never read" in line for line in lines)
    assert any("claim-05.json cannot be read (UnicodeDecodeError); running claim 5" in line for line in lines)


def _result(number, context):
    from wganlab.claims.catalogue import experiment
    from wganlab.claims.result import ClaimResult, SeedOutcome, Table

    figure = context.figure(number, "figure")
    figure.parent.mkdir(parents=True, exist_ok=True)
    figure.write_bytes(b"a PNG")
    return ClaimResult(experiment(number).CLAIM, "protocol", "rule", (SeedOutcome(0, "holds", {"gap": 0.25}),),
                       (Table(("a", "b"), ((1, float("nan")), ("x", None))),), (figure,))


def _kept_once(tmp_path, monkeypatch):
    """Claim 12 run once (by `_result`) and kept: (log lines, context, claims run, where kept, the result)."""
    from wganlab.claims import kept, runner

    lines: list[str] = []
    context = ClaimContext((0,), True, tmp_path / "figures", tmp_path / "runs", log=lines.append)
    ran: list[int] = []
    monkeypatch.setattr(runner, "run_claim", lambda number, context: ran.append(number) or _result(number, context))
    finished = kept.Finished(tmp_path / "finished", resume=True)
    (first,) = run_claims([12], context, 1, finished)
    return lines, context, ran, finished, first


def test_an_edited_kept_result_or_figure_is_never_reported(tmp_path, monkeypatch):
    """A kept result edited after it was written (even with a fresh sha256 beside it: the signature is an HMAC
    under this user's key, kept outside the results folder), or whose figure was changed, runs again."""
    import json

    from wganlab.claims import kept

    lines, context, ran, finished, first = _kept_once(tmp_path, monkeypatch)
    path = finished.path(12)
    saved = json.loads(path.read_text())
    (again,) = run_claims([12], context, 1, finished)
    assert ran == [12] and repr(again) == repr(first)  # sound: reused (nan, None, ints, tuples and Paths, all)

    saved["body"]["result"]["outcomes"][0]["numbers"]["gap"] = 0.75  # an edited number
    path.write_text(json.dumps(saved))
    (rerun,) = run_claims([12], context, 1, finished)
    assert ran == [12] * 2 and rerun.outcomes[0].numbers["gap"] == 0.25
    assert "is not as this user's wganlab wrote it (edited since" in lines[-2]

    first.figures[0].write_bytes(b"another picture")  # a changed figure
    run_claims([12], context, 1, finished)
    assert ran == [12] * 3 and "names a figure that was changed after the claim drew it" in lines[-2]
    first.figures[0].unlink()
    run_claims([12], context, 1, finished)
    assert ran == [12] * 4 and "names a figure that is no longer there" in lines[-2]

    (tmp_path / "wganlab-cache-key").mkdir()
    monkeypatch.setattr(kept.integrity, "key_path", lambda: tmp_path / "wganlab-cache-key" / "other.key")
    run_claims([12], context, 1, finished)  # another user's key (or a deleted one): not reused
    assert ran == [12] * 5 and "is not as this user's wganlab wrote it" in lines[-2]


def test_claims_resume_reuses_what_a_stopped_run_finished_and_clears_it_with_the_report(tmp_path, monkeypatch,
                                                                                         capsys):
    from wganlab import cli
    from wganlab.claims import kept, runner

    out = tmp_path / "out"
    command = ["claims", "--quick", "--only", "12", "--out", str(out)]
    real_run = runner.run_claim

    def dies_after_the_claim(number, context):  # a run stopped after claim 12 was kept, before its report
        result = real_run(number, context)
        kept.Finished(out / "claims" / "finished", False).keep(result, context)
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "run_claim", dies_after_the_claim)
    assert cli.main(command) == 130
    assert "interrupted; the same command with --resume reuses the claims it finished" in capsys.readouterr().err
    assert not (out / "claims.md").exists() and (out / "claims" / "finished" / "claim-12.json").is_file()

    monkeypatch.setattr(runner, "run_claim", _refuse)
    with pytest.raises(AssertionError):
        cli.main(command)  # without --resume it runs the claim again, and says the kept one is there
    assert "add --resume to reuse them" in capsys.readouterr().out
    assert cli.main([*command, "--resume"]) == 0
    assert "kept from an earlier run" in capsys.readouterr().out and "## Claim 12" in (out / "claims.md").read_text()
    assert not (out / "claims" / "finished").exists()  # in the report now


@pytest.mark.parametrize("signature", ["é" * 64, "é", 5, None, ["x"], {"hex": "00"}])
def test_a_kept_result_whose_signature_is_not_one_runs_again_in_one_line(tmp_path, monkeypatch, signature):
    """Whatever an edited file holds in place of its signature (text beyond ASCII, which hmac.compare_digest
    refuses, or no text at all) is not the signature: the claim runs again, one line says why, no traceback."""
    import json


    lines, context, ran, finished, first = _kept_once(tmp_path, monkeypatch)
    saved = json.loads(finished.path(12).read_text())
    finished.path(12).write_text(json.dumps(saved | {"signature": signature}))
    run_claims([12], context, 1, finished)
    assert ran == [12] * 2 and "is not as this user's wganlab wrote it (edited since" in lines[-2]
    finished.path(12).write_text(json.dumps(saved))  # as it was written: the signature was all that was wrong
    (again,) = run_claims([12], context, 1, finished)
    assert ran == [12] * 2 and repr(again) == repr(first)
