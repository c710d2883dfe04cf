"""The GitHub Actions workflows and pre-commit hooks, checked as data (actionlint lints them in .ci/run)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.cli import build_parser

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO / ".github" / "workflows"
SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def _steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


ALL = sorted(p.name for p in WORKFLOWS.glob("*.yml"))


def test_the_four_workflows_exist() -> None:
    assert {"ci.yml", "plan.yml", "apply.yml", "drift.yml", "fork-notice.yml"} <= set(ALL)


@pytest.mark.parametrize("name", ALL)
def test_third_party_actions_are_pinned_by_commit_sha(name: str) -> None:
    for step in _steps(_load(name)):
        if "uses" in step:
            assert SHA_PIN.match(step["uses"]), f"{name}: {step['uses']} is not pinned to a full commit SHA"


@pytest.mark.parametrize("name", ALL)
def test_no_long_lived_aws_keys_and_least_privilege_by_default(name: str) -> None:
    text = (WORKFLOWS / name).read_text()
    assert "aws-access-key-id" not in text
    assert "AWS_SECRET_ACCESS_KEY" not in text
    assert "permissions" in _load(name)


# What a step's environment variables hold in the first job of a matrix (e.g. SHARD: 1/4).
SAMPLE_EXPRESSIONS = {"${{ matrix.shard }}": "1", "${{ strategy.job-total }}": "4"}


def _sample(value: str) -> str:
    for expression, sample in SAMPLE_EXPRESSIONS.items():
        value = value.replace(expression, sample)
    return value


@pytest.mark.parametrize("name", ALL)
def test_every_bedrock_gitops_command_in_a_workflow_parses(name: str) -> None:
    for step in _steps(_load(name)):
        variables = {key: _sample(str(value)) for key, value in (step.get("env") or {}).items()}
        variables = {key: value for key, value in variables.items() if "${{" not in value}
        for line in str(step.get("run", "")).splitlines():
            if line.strip().startswith("bedrock-gitops "):
                command = line
                for key, value in variables.items():
                    command = command.replace(f'"${key}"', value)
                build_parser().parse_args(shlex.split(command)[1:])


def test_pull_request_target_never_runs_the_pull_requests_code() -> None:
    for name in ALL:
        workflow = _load(name)
        if "pull_request_target" not in workflow["on"]:
            continue
        for step in _steps(workflow):
            ref = str((step.get("with") or {}).get("ref", ""))
            assert "head" not in ref, f"{name} checks out the pull request's head"
            assert "base.sha" in ref or not step.get("uses", "").startswith("actions/checkout")
        for job in workflow["jobs"].values():
            assert "id-token" not in (job.get("permissions") or {}), f"{name}: no AWS for fork PRs"


def test_plan_gets_aws_credentials_only_for_branches_of_this_repository() -> None:
    workflow = _load("plan.yml")
    assert set(workflow["on"]) == {"pull_request"}
    for job in workflow["jobs"].values():
        if (job.get("permissions") or {}).get("id-token") == "write":
            assert job["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
    validate = workflow["jobs"]["validate"]
    assert "id-token" not in validate["permissions"]
    uploads = [s for s in workflow["jobs"]["plan"]["steps"] if "upload-artifact" in s.get("uses", "")]
    assert uploads[0]["with"]["name"] == "bedrock-gitops-plan-pr-${{ github.event.pull_request.number }}"


def test_plan_and_apply_run_the_same_shards_and_plan_merges_them() -> None:
    plan, apply = _load("plan.yml"), _load("apply.yml")
    shards = plan["jobs"]["read"]["strategy"]["matrix"]["shard"]
    assert shards == list(range(1, len(shards) + 1))
    assert apply["jobs"]["read"]["strategy"]["matrix"]["shard"] == shards
    assert apply["jobs"]["apply"]["strategy"]["matrix"]["shard"] == shards
    assert plan["jobs"]["plan"]["needs"] == "read"
    assert "pull-requests" not in plan["jobs"]["read"]["permissions"]  # a shard only reads
    runs = [str(s.get("run", "")) for s in _steps(plan)]
    assert 'bedrock-gitops plan --shard "$SHARD" -out "$SHARD_FILE"' in runs
    assert "bedrock-gitops ci plan-pr -out plan.json --merge shards/*.json" in runs
    downloads = [s for s in plan["jobs"]["plan"]["steps"] if "download-artifact" in s.get("uses", "")]
    uploads = [s for s in plan["jobs"]["read"]["steps"] if "upload-artifact" in s.get("uses", "")]
    assert downloads[0]["with"]["pattern"] == uploads[0]["with"]["name"].replace("${{ matrix.shard }}", "*")
    assert any('--shard "$SHARD" --live-from shards' in str(s.get("run", "")) for s in _steps(apply))


def test_apply_runs_one_at_a_time_on_main_and_never_cancels() -> None:
    workflow = _load("apply.yml")
    assert workflow["on"]["push"]["branches"] == ["main"]
    assert workflow["concurrency"]["cancel-in-progress"] is False
    job = workflow["jobs"]["apply"]
    assert job["permissions"]["id-token"] == "write"
    assert any("ci apply-merged" in str(s.get("run", "")) for s in job["steps"])


def test_drift_runs_on_a_schedule_and_may_write_issues() -> None:
    workflow = _load("drift.yml")
    assert "schedule" in workflow["on"]
    assert workflow["jobs"]["drift"]["permissions"]["issues"] == "write"


def test_published_validate_hook_matches_the_one_this_repository_uses() -> None:
    (published,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
    local = next(hook for repo in config["repos"] for hook in repo["hooks"] if hook["id"] == published["id"])
    for key in ("entry", "files", "pass_filenames"):
        assert local[key] == published[key], key
    assert published["language"] == "python"  # installs bedrock-gitops in pre-commit's own environment


def test_discover_runs_on_a_schedule_and_opens_its_pull_request() -> None:
    workflow = _load("discover.yml")
    assert "schedule" in workflow["on"]
    job = workflow["jobs"]["discover"]
    assert job["permissions"]["pull-requests"] == "write"
    runs = [str(s.get("run", "")) for s in job["steps"]]
    assert any(r.startswith("bedrock-gitops versions discover --record") for r in runs)
    assert any("ci open-pr" in r for r in runs)


def test_promote_is_manual_with_its_inputs_passed_through_the_environment_only() -> None:
    workflow = _load("promote.yml")
    assert set(workflow["on"]) == {"workflow_dispatch"}
    inputs = workflow["on"]["workflow_dispatch"]["inputs"]
    assert {"model", "version", "environment", "regions"} <= set(inputs)
    for step in _steps(workflow):
        assert "${{" not in str(step.get("run", "")), "inputs in a script are a template injection"
    runs = [str(s.get("run", "")) for s in _steps(workflow)]
    assert any(r.startswith("bedrock-gitops promote ") for r in runs)


def test_apply_covers_every_merge_since_the_last_successful_apply() -> None:
    job = _load("apply.yml")["jobs"]["apply"]
    runs = [str(step.get("run", "")) for step in job["steps"]]
    covered = next(i for i, run in enumerate(runs) if "ci covered-prs" in run)
    applied = next(i for i, run in enumerate(runs) if "ci apply-merged" in run)
    assert covered < applied
    # The marker is this workflow's own last successful run on main: the names must be this file's.
    for index in (covered, applied):
        assert "--apply-workflow apply.yml" in runs[index]
        assert "--branch main" in runs[index]
    # The reviewed plans come from plan.yml's own runs (ci/reviewed.py), and that is this repository's file.
    assert "--plan-workflow plan.yml" in runs[applied]
    plan = _load("plan.yml")
    assert "pull_request" in plan["on"]
    upload = next(s for s in plan["jobs"]["plan"]["steps"] if "upload-artifact" in str(s.get("uses", "")))
    assert upload["with"]["name"] == "bedrock-gitops-plan-pr-${{ github.event.pull_request.number }}"
    assert job["permissions"]["actions"] == "read"  # listing runs
    assert job["permissions"]["pull-requests"] == "write"  # a comment on each covered PR
