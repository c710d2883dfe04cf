"""Lifecycle transitions through the command line that once broke convergence (issue 10): each test is one
transition a user makes, and ends with `plan -detailed-exitcode` saying there is nothing left to do."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from botocore.retries.standard import ExponentialBackoff

from reconciler.sandbox.estate import SandboxEstate
from tests.apply.support import Estate, cli_estate, live_duplicates
from tests.examples import run_cli


@pytest.fixture
def estate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Estate:
    return cli_estate(tmp_path, monkeypatch)  # the sandbox clock is frozen: only `sandbox advance` moves it


def fast_time(estate: Estate) -> None:
    """Simulated time runs fast, so the CLI's real waiting is short."""
    with SandboxEstate.open(estate.sandbox_dir) as sandbox:
        sandbox.update_settings(time_scale=20000.0)


def converge(estate: Estate, capsys: pytest.CaptureFixture[str], *extra: str) -> None:
    fast_time(estate)
    root = str(estate.root)
    code, out, err = run_cli(
        capsys, "apply", "--sandbox", "--root", root, "--auto-approve", "--poll-seconds", "0.05", *extra
    )
    assert code == 0, out + err


def assert_no_changes(estate: Estate, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "plan", "--sandbox", "--root", str(estate.root), "-detailed-exitcode")
    assert (code, out.splitlines()[-1:]) == (0, ["No changes. AWS matches the manifests."]), out + err
    assert live_duplicates(estate.state()) == {}


def test_a_plan_saved_while_copies_run_is_applied_after_they_finish(
    estate: Estate, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = str(estate.root)
    # An apply that timed out: its copy jobs are still running in AWS.
    code, out, _ = run_cli(
        capsys,
        "apply",
        "--sandbox",
        "--root",
        root,
        "--auto-approve",
        "--timeout",
        "0.3",
        "--poll-seconds",
        "0.1",
    )
    assert code == 1
    assert "still running" in out
    planfile = tmp_path / "resume.tfplan"
    code, out, _ = run_cli(capsys, "plan", "--sandbox", "--root", root, "-out", str(planfile))
    assert code == 0
    assert "= wait prod/us-east-1/financial-analyst/copy" in out
    # The jobs move on (and finish) between the review of the plan and its apply: not a reason to refuse it.
    run_cli(capsys, "sandbox", "--root", root, "advance", "3600")
    fast_time(estate)
    code, out, err = run_cli(
        capsys, "apply", "--sandbox", "--root", root, "--poll-seconds", "0.05", str(planfile)
    )
    assert code == 0, out + err
    assert "Apply complete!" in out
    assert_no_changes(estate, capsys)


def test_a_saved_plan_whose_requests_changed_is_still_refused(
    estate: Estate, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = str(estate.root)
    run_cli(
        capsys,
        "apply",
        "--sandbox",
        "--root",
        root,
        "--auto-approve",
        "--timeout",
        "0.3",
        "--poll-seconds",
        "0.1",
    )
    planfile = tmp_path / "resume.tfplan"
    run_cli(capsys, "plan", "--sandbox", "--root", root, "-out", str(planfile))
    # Out of band, a copy job fails: the plan that waited for it would now have to start a new one.
    state_path = estate.sandbox_dir / "state.json"
    with SandboxEstate.open(estate.sandbox_dir):
        state = json.loads(state_path.read_text())
        job = next(iter(state["bedrock"]["777788889999/us-east-1"]["copy_jobs"].values()))
        job["will_fail"] = "KMS key disabled by hand"
        state_path.write_text(json.dumps(state))
    run_cli(capsys, "sandbox", "--root", root, "advance", "3600")
    code, _, err = run_cli(capsys, "apply", "--sandbox", "--root", root, str(planfile))
    assert code == 1
    assert "stale: the requests it would send changed" in err
    assert "prod/us-east-1/financial-analyst/copy: now needs CreateModelCopyJob" in err
    assert "Nothing was applied" in err


def test_undeclared_managed_resources_are_drift_until_pruned(
    estate: Estate, capsys: pytest.CaptureFixture[str]
) -> None:
    converge(estate, capsys)
    staging = estate.root / "environments" / "staging.yaml"
    text = staging.read_text()
    staging.write_text(text[: text.index("    - name: support-summarizer")].rstrip() + "\n")
    root = str(estate.root)
    code, out, _ = run_cli(capsys, "plan", "--sandbox", "--root", root, "-detailed-exitcode")
    assert code == 2
    assert "No changes" not in out
    assert "Plan: 0 to add, 0 to change, 0 to destroy, " in out
    assert "undeclared kept." in out
    code, out, _ = run_cli(capsys, "plan", "--sandbox", "--root", root, "--json", "-detailed-exitcode")
    assert code == 2
    document = json.loads(out)
    assert document["summary"]["pending_prune"] == len(document["removals"]) > 0
    assert any(r["kind"] == "deployment" for r in document["removals"])
    converge(estate, capsys, "--prune")
    assert_no_changes(estate, capsys)


def test_a_model_pruned_then_put_back_converges(estate: Estate, capsys: pytest.CaptureFixture[str]) -> None:
    """support-summarizer runs in staging only (besides its source account): pruning it deletes its share,
    the copy and the deployment; putting it back makes all three again, with new tokens."""
    converge(estate, capsys)
    staging = estate.root / "environments" / "staging.yaml"
    declared = staging.read_text()
    staging.write_text(declared[: declared.index("    - name: support-summarizer")].rstrip() + "\n")
    converge(estate, capsys, "--prune")
    shares = {s["name"]: s["status"] for s in estate.state()["ram"]["shares"].values()}
    assert shares["bedrock-gitops-support-summarizer-v1"] == "DELETED"
    staging.write_text(declared)
    converge(estate, capsys)
    assert_no_changes(estate, capsys)
    active = [
        s
        for s in estate.state()["ram"]["shares"].values()
        if s["name"] == "bedrock-gitops-support-summarizer-v1" and s["status"] == "ACTIVE"
    ]
    assert len(active) == 1


def test_a_status_read_that_fails_while_waiting_is_not_a_failed_job(
    estate: Estate, capsys: pytest.CaptureFixture[str]
) -> None:
    root = str(estate.root)
    run_cli(capsys, "sandbox", "--root", root, "set", "status_read_fault_rate=0.5")
    fast_time(estate)
    code, out, err = run_cli(
        capsys, "apply", "--sandbox", "--root", root, "--auto-approve", "--poll-seconds", "0.05"
    )
    assert code == 0, out + err
    assert "0 failed" in out
    run_cli(capsys, "sandbox", "--root", root, "set", "status_read_fault_rate=0")
    assert_no_changes(estate, capsys)


@pytest.fixture
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore's backoff, a hundred times shorter: these tests count attempts, not seconds."""
    original = ExponentialBackoff.delay_amount
    monkeypatch.setattr(
        ExponentialBackoff, "delay_amount", lambda self, context: original(self, context) / 100
    )


@pytest.mark.usefixtures("quick_backoff")
def test_plan_reads_retry_through_60_percent_throttling(
    estate: Estate, capsys: pytest.CaptureFixture[str]
) -> None:
    root = str(estate.root)
    run_cli(capsys, "sandbox", "--root", root, "set", "throttle_rate=0.6")
    for _ in range(3):
        code, out, err = run_cli(capsys, "plan", "--sandbox", "--root", root, "--stats")
        assert code == 0, err
        assert "+ create share/financial-analyst/v1" in out


@pytest.mark.usefixtures("quick_backoff")
def test_plan_says_when_its_reads_gave_up(
    estate: Estate, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = str(estate.root)
    run_cli(capsys, "sandbox", "--root", root, "set", "throttle_rate=1")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    code, _, err = run_cli(capsys, "plan", "--sandbox", "--root", root)
    assert code == 1
    assert "ThrottlingException" in err
    assert "gave up after 2 attempts with backoff" in err
    assert "Traceback" not in err


def test_import_into_a_new_folder_round_trips(
    estate: Estate, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Import from the repository's own sandbox into a new folder, without the training (dev) account:
    the models name the role to assume there, and a plan from the new folder has nothing to do."""
    converge(estate, capsys)
    (estate.root / ".sandbox").symlink_to(estate.sandbox_dir, target_is_directory=True)
    monkeypatch.chdir(estate.root)
    monkeypatch.delenv("BEDROCK_GITOPS_SANDBOX_DIR")
    adopted = tmp_path / "adopted"
    code, out, err = run_cli(
        capsys,
        *("import", "--sandbox", "--root", str(adopted), "--regions", "us-east-1,us-west-2"),
        *("-e", "staging=444455556666", "-e", "prod=777788889999"),
    )
    assert code == 0, out + err
    model = (adopted / "models" / "financial-analyst.yaml").read_text()
    assert "roleArn: arn:aws:iam::111122223333:role/BedrockGitOpsReconciler" in model
    assert run_cli(capsys, "validate", "--root", str(adopted))[0] == 0
    code, out, err = run_cli(capsys, "plan", "--sandbox", "--root", str(adopted), "-detailed-exitcode")
    assert (code, out.splitlines()[-1:]) == (0, ["No changes. AWS matches the manifests."]), out + err


def test_a_resize_makes_a_new_throughput_then_removes_the_old_when_its_commitment_allows(
    estate: Estate, capsys: pytest.CaptureFixture[str]
) -> None:
    converge(estate, capsys)
    root = str(estate.root)
    prod = estate.root / "environments" / "prod.yaml"
    # (prod's `protected` policy would ask for allowRemovals for the old one: a stated rule, tested elsewhere)
    text = prod.read_text().replace("modelUnits: 1", "modelUnits: 2")
    prod.write_text(text.replace("    protected: true", "    protected: false"))
    code, out, _ = run_cli(capsys, "plan", "--sandbox", "--root", root, "-detailed-exitcode")
    assert code == 2
    assert "No changes" not in out
    assert "+ create prod/us-east-1/financial-analyst/throughput" in out
    assert "provisionedModelName = prod-financial-analyst-2u-onemonth" in out
    assert "commitment runs until" in out  # the old one is committed: kept, and said so
    converge(estate, capsys)
    east = estate.state()["bedrock"]["777788889999/us-east-1"]["throughputs"].values()
    assert sorted((t["name"], t["units"]) for t in east) == [
        ("prod-financial-analyst", 1),
        ("prod-financial-analyst-2u-onemonth", 2),
    ]
    code, out, _ = run_cli(capsys, "plan", "--sandbox", "--root", root, "-detailed-exitcode")
    assert code == 2  # the old one still bills until its term ends
    assert re.search(r"Plan: 0 to add, 0 to change, 0 to destroy, [1-9][0-9]* undeclared kept\.", out)
    run_cli(capsys, "sandbox", "--root", root, "advance", str(40 * 86400))
    code, out, _ = run_cli(capsys, "plan", "--sandbox", "--root", root)
    assert "- destroy prod/us-east-1/financial-analyst/throughput/replaced/prod-financial-analyst" in out
    converge(estate, capsys)
    assert_no_changes(estate, capsys)
    east = estate.state()["bedrock"]["777788889999/us-east-1"]["throughputs"].values()
    assert [(t["name"], t["units"], t["commitment"]) for t in east] == [
        ("prod-financial-analyst-2u-onemonth", 2, "OneMonth")
    ]


def test_a_resized_throughput_is_the_one_verified(estate: Estate, capsys: pytest.CaptureFixture[str]) -> None:
    """The resize's new throughput carries another name; verification and soak find it, not 'nothing'."""
    converge(estate, capsys)
    staging = estate.root / "environments" / "staging.yaml"
    text = staging.read_text()
    assert "modelUnits: 1\n" in text
    text = text.replace("modelUnits: 1\n", "modelUnits: 2\n", 1).replace(
        "maxModelUnits: 1\n", "maxModelUnits: 2\n"
    )
    staging.write_text(text)
    converge(estate, capsys)  # exits 1 when a verification fails
    code, out, err = run_cli(capsys, "verify", "--sandbox", "--root", str(estate.root))
    assert code == 0, out + err
    assert_no_changes(estate, capsys)


def test_a_copy_two_throughputs_serve_is_kept_while_one_of_them_is_committed(
    estate: Estate, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found by the long convergence run (seed 10000959): a resize left a committed throughput next to its
    successor, both serving one copy; pruning deleted the copy because one of the two could go, and AWS
    refused (ConflictException: capacity still served it). The copy waits for both."""
    converge(estate, capsys)
    root = str(estate.root)
    staging = estate.root / "environments" / "staging.yaml"
    document = yaml.safe_load(staging.read_text())
    document["spec"].get("policies", {}).pop("allowedCommitments", None)
    pin = next(p for p in document["spec"]["models"] if p["name"] == "financial-analyst")
    for commitment in ("OneMonth", "none"):  # leaves the OneMonth one (committed) next to a new one
        pin["capacity"]["commitment"] = commitment
        staging.write_text(yaml.safe_dump(document))
        converge(estate, capsys)
    east = estate.state()["bedrock"]["444455556666/us-east-1"]["throughputs"].values()
    ours = sorted(t["name"] for t in east if t["name"].startswith("staging-"))
    assert ours == ["staging-financial-analyst", "staging-financial-analyst-1u-onemonth"]
    document["spec"]["models"].remove(pin)
    document["spec"].get("verify", {}).pop("financial-analyst", None)
    staging.write_text(yaml.safe_dump(document))
    # prod takes only what staging runs: not the rule this test is about
    prod = estate.root / "environments" / "prod.yaml"
    prod_document = yaml.safe_load(prod.read_text())
    prod_document["spec"]["policies"].pop("promotedFrom")
    prod.write_text(yaml.safe_dump(prod_document))
    converge(estate, capsys, "--prune")  # exit 1 (ConflictException) when the copy went too early
    code, out, _ = run_cli(capsys, "plan", "--sandbox", "--root", root, "-detailed-exitcode")
    assert code == 2
    assert "capacity 'staging-financial-analyst-1u-onemonth' still serves it" in out
    run_cli(capsys, "sandbox", "--root", root, "advance", str(40 * 86400))
    converge(estate, capsys, "--prune")
    code, out, _ = run_cli(capsys, "plan", "--sandbox", "--root", root, "--prune", "-detailed-exitcode")
    assert code == 0, out
    east = estate.state()["bedrock"]["444455556666/us-east-1"]["throughputs"].values()
    assert [t["name"] for t in east] == ["manual-experiment"]  # not ours: never touched
