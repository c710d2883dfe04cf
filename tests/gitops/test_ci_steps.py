"""The workflows' steps (`bedrock-gitops ci ...`) end to end: the sandbox stands in for AWS and a local
HTTP server for the GitHub API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.ci.actions_env import ActionsRun
from reconciler.ci.merge import apply_merged
from reconciler.cli import main
from reconciler.pipeline import make_plan
from reconciler.sandbox.estate import SandboxEstate
from tests.gitops.conftest import ActionsEnv, apply_merged_in_sandbox, pull_request_event, sandbox_applier
from tests.gitops.fake_github import FakeState

HEAD = "feed" * 10
MERGE = "beef" * 10


def test_plan_pr_posts_the_plan_then_updates_the_same_comment(
    manifests_repo: Path,
    sandbox_dir: Path,
    actions_env: ActionsEnv,
    fake_github: tuple[FakeState, str],
    tmp_path: Path,
) -> None:
    state, _ = fake_github
    summary = actions_env("pull_request", pull_request_event(12, "acme/models"))
    argv = ["ci", "plan-pr", "--sandbox", "--root", str(manifests_repo), "-out", str(tmp_path / "plan.json")]
    assert main(argv) == 0
    (first,) = state.comment_bodies(12)
    assert first.startswith("<!-- bedrock-gitops:plan part=1 -->")
    assert "| prod |" in first
    assert "https://github.example/acme/models/actions/runs/4242" in first
    assert (tmp_path / "plan.json").is_file()
    assert "bedrock-gitops plan" in summary.read_text()

    prod = manifests_repo / "environments" / "staging.yaml"
    prod.write_text(prod.read_text().replace("modelUnits: 1", "modelUnits: 2", 1))
    assert main(argv) == 0
    (second,) = state.comment_bodies(12)
    assert second != first
    assert [m for m, _ in state.writes()] == ["POST", "PATCH"]


def test_manifest_errors_are_posted_instead_of_a_plan(
    manifests_repo: Path, actions_env: ActionsEnv, fake_github: tuple[FakeState, str], tmp_path: Path
) -> None:
    state, _ = fake_github
    actions_env("pull_request", pull_request_event(12, "acme/models"))
    prod = manifests_repo / "environments" / "prod.yaml"
    prod.write_text(prod.read_text().replace("version: v1", "version: v9<img>"))
    code = main(["ci", "plan-pr", "--sandbox", "--root", str(manifests_repo), "-out", str(tmp_path / "p")])
    assert code == 1
    (body,) = state.comment_bodies(12)
    assert "the manifests have errors" in body
    assert "environments/prod.yaml" in body


def test_a_fork_pr_gets_a_notice_and_no_plan(
    actions_env: ActionsEnv, fake_github: tuple[FakeState, str], capsys: pytest.CaptureFixture[str]
) -> None:
    state, _ = fake_github
    actions_env("pull_request_target", pull_request_event(13, "mallory/models<img src=x>"))
    assert main(["ci", "fork-notice"]) == 0
    (body,) = state.comment_bodies(13)
    assert body.startswith("<!-- bedrock-gitops:plan part=1 -->")
    assert "comes from a fork" in body
    assert "no AWS credentials" in body
    assert "<img" not in body
    # The notice reads only the event: no AWS access, no checkout of the fork's code is needed.
    assert [m for m, _ in state.writes()] == ["POST"]


def test_a_pr_from_the_repository_itself_gets_no_fork_notice(
    actions_env: ActionsEnv, fake_github: tuple[FakeState, str]
) -> None:
    state, _ = fake_github
    actions_env("pull_request_target", pull_request_event(14, "acme/models"))
    assert main(["ci", "fork-notice"]) == 0
    assert state.comment_bodies(14) == []
    assert ActionsRun.from_environment().is_fork is False


def _merged_after_review(
    state: FakeState, root: Path, tmp_path: Path, actions_env: ActionsEnv, head: str = HEAD
) -> None:
    """PR #21 was reviewed (the plan workflow's run for `head` left its plan as an artifact) and merged as
    MERGE, and this run is the push of MERGE to main."""
    plan_file = tmp_path / "reviewed" / "plan.json"
    plan_file.parent.mkdir(exist_ok=True)
    assert main(["plan", "--sandbox", "--root", str(root), "-out", str(plan_file)]) == 0
    state.add_reviewed_plan(21, head, plan_file.read_text(), run_id=1, artifact_id=77)
    state.add_merge(21, MERGE, ["environments/staging.yaml"], "2026-11-25T09:00:00Z", head=HEAD)
    actions_env("push", {"ref": "refs/heads/main"}, sha=MERGE)


def _jobs_finish_at_once(sandbox_dir: Path) -> None:
    """`apply` from the command line polls in real time: the sandbox's jobs must not keep it waiting."""
    with SandboxEstate.open(sandbox_dir) as estate:
        estate.update_settings(time_scale=100_000.0)


def test_merge_applies_the_reviewed_plan_with_the_apply_command_and_reports_back(
    manifests_repo: Path,
    sandbox_dir: Path,
    actions_env: ActionsEnv,
    fake_github: tuple[FakeState, str],
    tmp_path: Path,
) -> None:
    state, _ = fake_github
    _jobs_finish_at_once(sandbox_dir)
    _merged_after_review(state, manifests_repo, tmp_path, actions_env)
    work = tmp_path / "work"
    argv = ["ci", "apply-merged", "--sandbox", "--root", str(manifests_repo), "--workdir", str(work)]
    assert main(argv) == 0
    (body,) = state.comment_bodies(21)
    assert body.startswith("<!-- bedrock-gitops:apply part=1 -->")
    assert "Apply complete" in body
    report = json.loads((work / "apply-report.json").read_text())
    reviewed = json.loads((work / "reviewed-plan-pr-21.json").read_text())
    assert report["succeeded"] is True
    assert report["plan_created_at"] == reviewed["created_at"]  # the reviewed file itself was applied
    assert not make_plan(manifests_repo, sandbox=True).plan.has_changes


def test_merge_stops_when_the_merged_plan_differs_from_the_reviewed_one(
    manifests_repo: Path,
    sandbox_dir: Path,
    actions_env: ActionsEnv,
    fake_github: tuple[FakeState, str],
    tmp_path: Path,
) -> None:
    state, _ = fake_github
    _merged_after_review(state, manifests_repo, tmp_path, actions_env)
    # Main moved on after the review (another PR merged first): the merged manifests plan something else.
    staging = manifests_repo / "environments" / "staging.yaml"
    staging.write_text(staging.read_text().replace("modelUnits: 1", "modelUnits: 3", 1))
    code, calls = apply_merged_in_sandbox(manifests_repo, sandbox_dir, tmp_path / "work")
    assert code == 1
    assert calls == []
    (body,) = state.comment_bodies(21)
    assert "stopped, nothing was applied" in body
    assert "staging/us-east-1/financial-analyst/throughput: differs" in body
    assert make_plan(manifests_repo, sandbox=True).plan.has_changes  # AWS untouched


def test_merge_stops_when_aws_changed_the_plan_since_the_review(
    manifests_repo: Path,
    sandbox_dir: Path,
    actions_env: ActionsEnv,
    fake_github: tuple[FakeState, str],
    tmp_path: Path,
) -> None:
    state, _ = fake_github
    _merged_after_review(state, manifests_repo, tmp_path, actions_env)
    calls: list[Path] = []
    applier = sandbox_applier(manifests_repo, sandbox_dir, calls)
    # Someone applied by hand after the review: the reviewed plan is stale and would now do nothing.
    assert applier(tmp_path / "reviewed" / "plan.json", tmp_path / "manual-report.json") == 0
    code = apply_merged(
        ActionsRun.from_environment(), manifests_repo, tmp_path / "work", sandbox=True, applier=applier
    )
    assert code == 1
    assert len(calls) == 1  # only the manual apply
    assert "no longer planned" in state.comment_bodies(21)[0]


def test_merge_without_a_plan_for_the_last_push_stops(
    manifests_repo: Path, actions_env: ActionsEnv, fake_github: tuple[FakeState, str], tmp_path: Path
) -> None:
    state, _ = fake_github
    _merged_after_review(state, manifests_repo, tmp_path, actions_env, head="0ld" + "0" * 37)
    code = main(
        ["ci", "apply-merged", "--sandbox", "--root", str(manifests_repo), "--workdir", str(tmp_path)]
    )
    assert code == 1
    assert (
        "no successful run of plan.yml for the last commit feedfeedfeed of &#35;"
        in state.comment_bodies(21)[0]
    )


def test_a_direct_push_without_a_pull_request_applies_nothing(
    manifests_repo: Path,
    actions_env: ActionsEnv,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    actions_env("push", {"ref": "refs/heads/main"}, sha=MERGE)
    code = main(
        ["ci", "apply-merged", "--sandbox", "--root", str(manifests_repo), "--workdir", str(tmp_path)]
    )
    assert code == 1
    assert "was not merged through a pull request" in capsys.readouterr().err


def test_drift_opens_one_issue_updates_it_and_closes_it_when_aws_matches(
    manifests_repo: Path,
    sandbox_dir: Path,
    actions_env: ActionsEnv,
    fake_github: tuple[FakeState, str],
    tmp_path: Path,
) -> None:
    state, _ = fake_github
    actions_env("schedule", {}, sha=MERGE)
    argv = ["ci", "drift", "--sandbox", "--root", str(manifests_repo), "-out", str(tmp_path / "drift.json")]
    assert main(argv) == 0
    assert main(argv) == 0
    (issue,) = state.issues.values()
    assert issue["state"] == "open"
    assert issue["title"].startswith("Drift: ")
    assert "| prod |" in issue["body"]
    sandbox_applier(manifests_repo, sandbox_dir, [])(tmp_path / "drift.json", tmp_path / "r.json")
    assert main(argv) == 0
    assert issue["state"] == "closed"
    assert len(state.issues) == 1


def test_a_plan_that_breaks_a_policy_is_commented_but_not_saved_and_fails_the_check(
    manifests_repo: Path,
    sandbox_dir: Path,
    actions_env: ActionsEnv,
    fake_github: tuple[FakeState, str],
    tmp_path: Path,
) -> None:
    state, _ = fake_github
    actions_env("pull_request", pull_request_event(12, "acme/models"))
    prod = manifests_repo / "environments" / "prod.yaml"
    prod.write_text(prod.read_text().replace("        modelUnits: 1", "        modelUnits: 3"))
    out = tmp_path / "plan.json"
    assert main(["ci", "plan-pr", "--sandbox", "--root", str(manifests_repo), "-out", str(out)]) == 1
    assert not out.exists()
    (body,) = state.comment_bodies(12)
    assert "Plan blocked by 1 policy/preflight error(s)" in body
    assert "| 1 | :no_entry: error | maxModelUnits |" in body
    assert "- **Fix** the policy/preflight errors above and push" in body


def test_plan_pr_from_shard_files_posts_the_unsharded_comment(
    manifests_repo: Path,
    sandbox_dir: Path,
    actions_env: ActionsEnv,
    fake_github: tuple[FakeState, str],
    tmp_path: Path,
) -> None:
    state, _ = fake_github
    actions_env("pull_request", pull_request_event(12, "acme/models"))
    root = ["--sandbox", "--root", str(manifests_repo)]
    assert main(["ci", "plan-pr", *root, "-out", str(tmp_path / "whole.json")]) == 0
    (whole,) = state.comment_bodies(12)
    shards = [str(tmp_path / f"shard-{k}.json") for k in (1, 2, 3)]
    for index, path in enumerate(shards, start=1):
        assert main(["plan", *root, "--shard", f"{index}/3", "-out", path]) == 0
    assert main(["ci", "plan-pr", *root, "--merge", *shards, "-out", str(tmp_path / "merged.json")]) == 0
    (merged,) = state.comment_bodies(12)
    assert merged == whole
    assert (tmp_path / "merged.json").read_text() == (tmp_path / "whole.json").read_text()
    # A shard missing: refused, and the comment is left as it was.
    assert main(["ci", "plan-pr", *root, "--merge", *shards[:2], "-out", str(tmp_path / "x.json")]) == 1
    assert state.comment_bodies(12) == [whole]


def test_apply_merged_by_shard_applies_each_shards_part_with_its_own_comment(
    manifests_repo: Path,
    sandbox_dir: Path,
    actions_env: ActionsEnv,
    fake_github: tuple[FakeState, str],
    tmp_path: Path,
) -> None:
    state, _ = fake_github
    _jobs_finish_at_once(sandbox_dir)
    _merged_after_review(state, manifests_repo, tmp_path, actions_env)
    root = ["--sandbox", "--root", str(manifests_repo)]
    live = tmp_path / "live"
    for index in (1, 2):  # the apply workflow's `read` matrix
        assert main(["plan", *root, "--shard", f"{index}/2", "-out", str(live / f"shard-{index}.json")]) == 0
    for index in (1, 2):
        work = tmp_path / f"work-{index}"
        argv = ["ci", "apply-merged", *root, "--workdir", str(work), "--shard", f"{index}/2"]
        assert main([*argv, "--live-from", str(live)]) == 0
    first, second = state.comment_bodies(21)
    assert first.startswith("<!-- bedrock-gitops:apply-shard-1-of-2 part=1 -->")
    assert "bedrock-gitops apply &#40;shard 1/2&#41; complete" in first
    assert second.startswith("<!-- bedrock-gitops:apply-shard-2-of-2 part=1 -->")
    report = json.loads((tmp_path / "work-1" / "apply-report.json").read_text())
    operations = {step["operation"] for step in report["steps"]}
    assert "CreateResourceShare" in operations  # the source account is shard 1's
    assert "CreateModelCopyJob" not in operations  # the copies are in shard 2's accounts
    # Shard 2's copies waited for shard 1's shares: the next apply (or the next merge) finishes them.
    assert make_plan(manifests_repo, sandbox=True).plan.has_changes
