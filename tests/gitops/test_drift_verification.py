"""The drift workflow's step also runs the smoke checks: capacity that stopped answering opens the drift
issue even when the plan has no changes, and the issue closes once it answers again."""

from __future__ import annotations

from pathlib import Path

from reconciler.cli import main
from reconciler.sandbox.estate import SandboxEstate
from tests.gitops.conftest import ActionsEnv, sandbox_applier
from tests.gitops.fake_github import FakeState
from tests.verify.test_verify_flow import STAGING_VERIFY, without_verify


def test_capacity_that_stopped_answering_is_drift(
    manifests_repo: Path,
    sandbox_dir: Path,
    actions_env: ActionsEnv,
    fake_github: tuple[FakeState, str],
    tmp_path: Path,
) -> None:
    state, _ = fake_github
    staging = manifests_repo / "environments" / "staging.yaml"
    staging.write_text(without_verify(staging.read_text()) + STAGING_VERIFY)
    plan = tmp_path / "plan.json"
    assert main(["plan", "--sandbox", "--root", str(manifests_repo), "-out", str(plan)]) == 0
    assert sandbox_applier(manifests_repo, sandbox_dir, [])(plan, tmp_path / "report.json") == 0
    actions_env("schedule", {})
    argv = ["ci", "drift", "--sandbox", "--root", str(manifests_repo), "-out", str(tmp_path / "drift.json")]
    assert main(argv) == 0
    assert not state.issues
    with SandboxEstate.open(sandbox_dir) as sandbox:
        sandbox.update_settings(unanswering_models=["financial-analyst-v2"])
    assert main(argv) == 0
    (issue,) = state.issues.values()
    assert issue["state"] == "open"
    assert issue["title"].startswith("Drift: verification failed on ")
    assert "staging/us-east-1/financial-analyst/throughput" in issue["body"]
    assert "ModelTimeoutException" in issue["body"]
    with SandboxEstate.open(sandbox_dir) as sandbox:
        sandbox.update_settings(unanswering_models=[])
    assert main(argv) == 0
    assert issue["state"] == "closed"
