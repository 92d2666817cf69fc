"""The run report: sections present, hostile text shown as text, images inline, findings warnings first."""

from __future__ import annotations

import json
from pathlib import Path

from tests.reports.conftest import HOSTILE_NAME, SCRIPT, assert_self_contained, hostile_folder, write_run
from wganlab import rundir, runlogs
from wganlab.diagnose import diagnose
from wganlab.diagnostics.diagnosis import Diagnosis
from wganlab.diagnostics.findings import Finding, run_stopping
from wganlab.diagnostics.tracking import Tracking
from wganlab.files import write_json_atomic
from wganlab.reports import html as h
from wganlab.reports.run_report import findings_body, method_text, run_report_html, spread, write_run_report

SECTIONS = ["summary", "curves", "samples", "diagnostics", "config"]


def diagnosis_of(folder: Path, probe: dict, findings: list[Finding] = ()) -> Diagnosis:
    return Diagnosis(folder, 80, probe, list(findings), Tracking("w1_2000", 0.9, 8))


def test_hand_written_run_report(tmp_path):
    folder = write_run(hostile_folder(tmp_path), evaluations=8)
    values = json.loads((folder / rundir.CONFIG).read_text())
    values["data"]["root"] = SCRIPT
    write_json_atomic(folder / rundir.CONFIG, values)

    out = write_run_report(folder, diagnose(folder))
    assert out == folder / "report.html"
    page = out.read_text()
    parsed = assert_self_contained(page)
    assert parsed.sections == SECTIONS
    assert h.escape(HOSTILE_NAME) in page and h.escape(SCRIPT) in page and "<img src=x" not in page
    assert f"<title>{h.escape(HOSTILE_NAME)}</title>" in page
    assert len(parsed.images) == 1 + 6 + 1  # curves, six of the eight evaluation figures, diagnostics curves
    for key in ("w1_2000", "modes_2500", "total_modes", "critic_estimate", "reverse_kl_2500"):
        assert f"<code>{key}</code>" in page
    assert "between 2000 generated and 2000 real points" in page  # the protocol note carries the sample count
    assert "The run has no checkpoint to probe." in page
    reason = run_report_html(folder, "checkpoint x is damaged")
    assert "No fresh diagnosis: checkpoint x is damaged" in reason and "Findings" not in reason


def test_image_run_shows_its_protocol(tmp_path):
    folder = write_run(tmp_path / "00000-digits", ["data.name=digits", "model.arch=dcgan"], images=True)
    page = run_report_html(folder, diagnosis_of(folder, {}))
    assert_self_contained(page)
    assert "Image metric protocol" in page and "digits-classifier" in page
    assert "Frechet distance" in page and "<code>fid_200</code>" in page


def test_findings_warnings_first_and_escaped():
    findings = [Finding("info", "fine", "all good", "rho 0.9"), Finding("warning", SCRIPT, SCRIPT, "e < 1")]
    body = findings_body(findings)
    assert body.index("warning") < body.index("fine")
    assert "<script>" not in body and "e &lt; 1" in body
    assert 'class="finding warning"' in body and 'class="finding info"' in body


def test_probe_table_and_layer_norms(tmp_path):
    folder = write_run(tmp_path / "00000-run")
    probe = {"step": 80, "lipschitz/real": 12.5, "gradients/layer_norms": [1.0, 0.1, 0.01], "gradients/log_slope": -1.0}
    diagnosis = diagnosis_of(folder, probe, [Finding("warning", "Critic far from 1-Lipschitz", "m", "e")])
    page = run_report_html(folder, diagnosis)
    assert "Probe of the checkpoint at step 80" in page and "<code>lipschitz/real</code>" in page
    assert "Per-layer gradient norms" in page and "Critic far from 1-Lipschitz" in page
    assert len(assert_self_contained(page).images) == 1 + 4 + 1 + 1  # curves, 4 figures, layer norms, diagnostics


def test_spread_keeps_first_and_last():
    assert spread(list(range(10)), 4) == [0, 3, 6, 9]
    assert spread([1, 2], 6) == [1, 2]


def test_method_text_names_the_lipschitz_method():
    assert method_text(rundir.configuration.load()) == "wasserstein (penalty gp, weight 0.1)"
    clipped = rundir.configuration.load(preset="wgan-paper")
    assert method_text(clipped) == "wasserstein (clip c = 0.01)"
    assert method_text(rundir.configuration.load(preset="sngan")) == "hinge (spectral-norm)"
    r3gan = rundir.configuration.load(preset="r3gan-toy")
    assert method_text(r3gan) == "rpgan (penalty r1+r2, weight 0.3 -> 0.03 (cosine))"


def test_real_run_report(trained_run):
    page = write_run_report(trained_run, diagnose(trained_run), trained_run.parent / "report.html").read_text()
    parsed = assert_self_contained(page)
    assert parsed.sections == SECTIONS
    assert h.escape(SCRIPT) in page and h.escape(HOSTILE_NAME) in page
    assert "Probe of the checkpoint at step 60" in page
    assert len(parsed.images) >= 1 + 3 + 2  # curves, 3 evaluations, layer norms (+ diagnostics curves)


def test_a_run_with_enough_evaluations_shows_where_it_was_safe_to_stop(tmp_path):
    """FID on images, 16 evaluations (windows of 8): the caption explains the stopping marks and the finding
    names the step; with 4 evaluations (too few for the rule) neither appears."""
    folder = write_run(tmp_path / "long", evaluations=16, images=True)
    page = run_report_html(folder, diagnose(folder))
    assert "safe to stop" in page and "checkpoints/best-*.pt" in page
    report = run_stopping(runlogs.read_run(folder))
    assert report is not None and report.metric == "fid_200" and report.evaluations == 16
    title = ("Quality was still improving at the end" if report.safe_step == report.final_step
             else f"Safe to stop at step {report.safe_step}")
    assert title in page
    short = write_run(tmp_path / "short", evaluations=4)
    assert "safe to stop" not in run_report_html(short, diagnose(short))
