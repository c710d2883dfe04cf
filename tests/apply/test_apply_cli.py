"""`bedrock-gitops apply` and `force-unlock` through the command line, on the example manifests and the
sandbox: saved plans, stale plans, confirmation, the report, and the lock between concurrent applies."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.aws.lock import DynamoDbLock, LockSettings
from reconciler.sandbox.estate import SandboxEstate
from tests.apply.support import cli_estate, duplicates
from tests.examples import run_cli


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # Simulated time runs fast, so the CLI's real waiting is short.
    return cli_estate(tmp_path, monkeypatch, time_scale=20000.0).root


def state(repo: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((repo.parent / "sandbox" / "state.json").read_text())
    return data


def shares(repo: Path) -> int:
    return len(state(repo)["ram"]["shares"])  # type: ignore[index]


def test_plan_out_then_apply_converges_and_reports(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    planfile = tmp_path / "pr-42.tfplan"
    code, _, err = run_cli(capsys, "plan", "--sandbox", "--root", str(repo), "-out", str(planfile))
    assert code == 0, err
    code, out, err = run_cli(
        capsys, "apply", "--sandbox", "--root", str(repo), "--poll-seconds", "0.05", str(planfile)
    )
    assert code == 0, err
    assert "Acquired the apply lock " in err
    assert "Apply complete! 10 done, 0 failed, 0 skipped, 0 still running." in out
    assert "prod/us-east-1/financial-analyst/copy: CreateModelCopyJob in 777788889999 us-east-1" in out
    report = json.loads(planfile.with_name("pr-42.tfplan.report.json").read_text())
    assert report["succeeded"] is True
    assert report["summary"] == {"done": 10, "failed": 0, "skipped": 0, "timed_out": 0}
    copy = next(s for s in report["steps"] if s["address"] == "prod/us-east-1/financial-analyst/copy")
    assert copy["outputs"]["targetModelArn"].startswith(
        "arn:aws:bedrock:us-east-1:777788889999:custom-model/"
    )
    assert [c["operation"] for c in copy["calls"]] == ["CreateModelCopyJob"]
    assert "clientRequestToken" not in copy["calls"][0]["request"]
    code, out, _ = run_cli(capsys, "plan", "--sandbox", "--root", str(repo), "-detailed-exitcode")
    assert code == 0
    assert "No changes" in out


def test_a_plan_made_before_the_manifests_changed_is_refused(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    planfile = tmp_path / "old.tfplan"
    run_cli(capsys, "plan", "--sandbox", "--root", str(repo), "-out", str(planfile))
    prod = repo / "environments" / "prod.yaml"
    prod.write_text(prod.read_text().replace("modelUnits: 1", "modelUnits: 2"))
    code, _, err = run_cli(capsys, "apply", "--sandbox", "--root", str(repo), str(planfile))
    assert code == 1
    assert "stale: the manifests changed" in err
    assert "bedrock-gitops plan -out FILE" in err
    assert shares(repo) == 0  # nothing applied


def test_a_plan_made_before_aws_changed_is_refused(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = tmp_path / "first.tfplan"
    second = tmp_path / "second.tfplan"
    run_cli(capsys, "plan", "--sandbox", "--root", str(repo), "-out", str(first))
    run_cli(capsys, "plan", "--sandbox", "--root", str(repo), "-out", str(second))
    code, _, err = run_cli(
        capsys, "apply", "--sandbox", "--root", str(repo), "--poll-seconds", "0.05", str(first)
    )
    assert code == 0, err
    made = shares(repo)
    code, _, err = run_cli(capsys, "apply", "--sandbox", "--root", str(repo), str(second))
    assert code == 1
    assert "stale: the requests it would send changed" in err
    assert "Nothing was applied" in err
    assert shares(repo) == made


def test_a_plan_that_breaks_a_policy_is_not_applied(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prod = repo / "environments" / "prod.yaml"
    prod.write_text(prod.read_text().replace("modelUnits: 1", "modelUnits: 5"))
    code, _, err = run_cli(capsys, "apply", "--sandbox", "--root", str(repo), "--auto-approve")
    assert code == 1
    assert "nothing was applied" in err
    assert "environments/prod.yaml:" in err
    assert shares(repo) == 0


def test_apply_without_a_plan_file_needs_confirmation(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "apply", "--sandbox", "--root", str(repo))
    assert code == 1
    assert "+ create share/financial-analyst/v1" in out  # the plan is shown before asking
    assert "--auto-approve" in err
    assert shares(repo) == 0
    code, out, err = run_cli(
        capsys, "apply", "--sandbox", "--root", str(repo), "--auto-approve", "--poll-seconds", "0.05"
    )
    assert code == 0, err
    assert "Apply complete!" in out


def test_a_failed_copy_job_makes_apply_exit_1_and_says_what_was_skipped(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_cli(capsys, "sandbox", "--root", str(repo), "set", "failing_copy_targets=777788889999/us-east-1")
    report = tmp_path / "report.json"
    code, out, _ = run_cli(
        capsys,
        "apply",
        "--sandbox",
        "--root",
        str(repo),
        "--auto-approve",
        "--poll-seconds",
        "0.05",
        "--report",
        str(report),
    )
    assert code == 1
    assert "Failed:\n  prod/us-east-1/financial-analyst/copy: copy job" in out
    skipped = "Skipped (something they depend on did not complete):\n  prod/us-east-1/financial-analyst/"
    assert skipped + "throughput" in out
    assert "Apply incomplete. 8 done, 1 failed, 1 skipped, 0 still running." in out
    assert json.loads(report.read_text())["summary"] == {
        "done": 8,
        "failed": 1,
        "skipped": 1,
        "timed_out": 0,
    }


def test_lock_timeout_shows_whom_it_waits_for_then_gives_up(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("reconciler.aws.lock.LOCK_RETRY_SECONDS", 0.5)
    with SandboxEstate.open(repo.parent / "sandbox") as estate:
        dynamodb = estate.session().client("dynamodb", region_name="us-east-1")
        holder = DynamoDbLock(dynamodb, LockSettings()).acquire("release train 12", owner="ci on run 7")
    argv = ["apply", "--sandbox", "--root", str(repo), "--auto-approve", "--lock-timeout", "3"]
    code, _, err = run_cli(capsys, *argv)
    assert code == 1
    assert "s left of --lock-timeout): lock " + holder.lock_id in err
    assert err.index("Waiting for the apply lock (") < err.index("another apply is running")
    assert f"another apply is running: lock {holder.lock_id}" in err
    assert shares(repo) == 0


def test_a_held_lock_blocks_apply_until_force_unlocked(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox_dir = repo.parent / "sandbox"
    with SandboxEstate.open(sandbox_dir) as estate:
        dynamodb = estate.session().client("dynamodb", region_name="us-east-1")
        holder = DynamoDbLock(dynamodb, LockSettings()).acquire("release train 12", owner="ci on run 7")
    code, _, err = run_cli(capsys, "apply", "--sandbox", "--root", str(repo), "--auto-approve")
    assert code == 1
    assert f"another apply is running: lock {holder.lock_id} held by ci on run 7" in err
    assert "release train 12" in err
    assert f"bedrock-gitops force-unlock {holder.lock_id} --sandbox" in err  # copy-paste safe
    assert shares(repo) == 0
    code, _, err = run_cli(capsys, "force-unlock", "--sandbox", "--root", str(repo), "not-the-id", "--force")
    assert code == 1
    assert "does not match" in err
    code, out, err = run_cli(
        capsys, "force-unlock", "--sandbox", "--root", str(repo), holder.lock_id, "--force"
    )
    assert code == 0, err
    assert "removed" in out
    code, _, err = run_cli(
        capsys, "apply", "--sandbox", "--root", str(repo), "--auto-approve", "--poll-seconds", "0.05"
    )
    assert code == 0, err


def test_two_applies_at_once_exactly_one_proceeds(repo: Path, tmp_path: Path) -> None:
    sandbox_dir = repo.parent / "sandbox"
    with SandboxEstate.open(sandbox_dir) as estate:
        estate.update_settings(time_scale=300.0)  # an apply takes ~6 real seconds: both overlap
    env = {**os.environ, "BEDROCK_GITOPS_SANDBOX_DIR": str(sandbox_dir)}
    command = [
        sys.executable,
        "-m",
        "reconciler",
        "apply",
        "--sandbox",
        "--root",
        str(repo),
        "--auto-approve",
        "--poll-seconds",
        "0.2",
    ]
    processes = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outcomes = [(p.wait(timeout=120), p.stdout.read(), p.stderr.read()) for p in processes]  # type: ignore[union-attr]
    codes = sorted(code for code, _, _ in outcomes)
    assert codes == [0, 1], outcomes
    loser = next(err for code, _, err in outcomes if code == 1)
    assert "another apply is running" in loser
    counts = make_estate_counts(sandbox_dir)
    assert duplicates(counts) == {}


def make_estate_counts(sandbox_dir: Path) -> dict[str, int]:
    from collections import Counter

    data = json.loads((sandbox_dir / "state.json").read_text())
    counts: Counter[str] = Counter()
    for scope, parts in data["bedrock"].items():
        for job in parts["copy_jobs"].values():
            counts[f"copy {scope} {job['target_model_name']}"] += 1
        for throughput in parts["throughputs"].values():
            counts[f"throughput {scope} {throughput['name']}"] += 1
    for share in data["ram"]["shares"].values():
        counts[f"share {share['name']}"] += 1
    return dict(counts)
