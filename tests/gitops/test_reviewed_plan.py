"""The reviewed plan is the artifact of the plan workflow's run for the PR's last head commit, found
through that run (ci/reviewed.py), never an artifact found by its name alone: any workflow, a fork's run or
a failed run can upload one of the same name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler.ci.reviewed import fetch_reviewed_plan
from reconciler.errors import ReconcilerError
from reconciler.github.api import GitHub
from tests.gitops.fake_github import FakeState

HEAD = "feed" * 10
PULL = {"number": 21, "head": {"sha": HEAD}}


def upload(state: FakeState, run_id: int, artifact_id: int, text: str, **fields: Any) -> None:
    state.add_reviewed_plan(21, HEAD, text, run_id=run_id, artifact_id=artifact_id, **fields)


def decoys(state: FakeState) -> None:
    """Newer artifacts of the same name for the same commit that are no reviewed plan."""
    later = "2026-11-25T10:00:00Z"
    upload(state, 60, 600, "another workflow", path=".github/workflows/evil.yml", created_at=later)
    upload(state, 61, 610, "a fork's run", head_repository={"full_name": "mallory/models"}, created_at=later)
    upload(state, 62, 620, "a failed run", conclusion="failure", created_at=later)
    upload(state, 63, 630, "another event", event="push", created_at=later)


def test_only_the_plan_workflow_runs_artifact_is_the_reviewed_plan(
    github: GitHub, fake_github: tuple[FakeState, str], tmp_path: Path
) -> None:
    state, _ = fake_github
    upload(state, 1, 10, "reviewed, first run")
    upload(state, 2, 20, "reviewed, re-run", created_at="2026-11-25T09:00:00Z")
    decoys(state)
    state.workflow_runs[1]["created_at"] = "2026-11-25T09:00:00Z"  # the re-run is the newest good run
    written = fetch_reviewed_plan(github, PULL, tmp_path / "reviewed.json")
    assert written.read_text() == "reviewed, re-run"
    # The artifact was listed through run 2, never looked up by name across the repository.
    paths = [path for method, path, _ in state.requests if method == "GET"]
    assert "/repos/acme/models/actions/runs/2/artifacts" in paths
    assert "/repos/acme/models/actions/artifacts" not in paths
    assert state.blob_authorization == [None]  # the token never goes to blob storage


def test_without_a_successful_plan_run_for_the_head_commit_nothing_is_trusted(
    github: GitHub, fake_github: tuple[FakeState, str], tmp_path: Path
) -> None:
    state, _ = fake_github
    decoys(state)
    with pytest.raises(
        ReconcilerError, match=r"no successful run of plan\.yml for the last commit feedfeedfeed"
    ):
        fetch_reviewed_plan(github, PULL, tmp_path / "reviewed.json")
    # A good run whose artifact expired (or was never uploaded) is said so, naming the run.
    upload(state, 3, 30, "expired")
    state.artifacts[-1]["expired"] = True
    with pytest.raises(
        ReconcilerError, match=r"no plan artifact 'bedrock-gitops-plan-pr-21' in run 3 of plan.yml"
    ):
        fetch_reviewed_plan(github, PULL, tmp_path / "reviewed.json")
    assert not (tmp_path / "reviewed.json").exists()
