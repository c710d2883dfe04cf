"""`ci open-pr` against the local GitHub API stand-in: discovery opens one pull request, and running again
updates it (never a second one); a promotion gets its own branch and pull request with its plan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.promotion.change import ChangedVersion, ChangeRecord
from reconciler.promotion.pr_body import render_body, s3_console_url
from tests.gitops.conftest import ActionsEnv
from tests.gitops.fake_github import FakeState


def _discover(root: Path, record: Path) -> None:
    assert main(["sandbox", "fine-tune", "financial-analyst", "--root", str(root)]) == 0
    argv = ["versions", "discover", "--sandbox", "--root", str(root), "--record", str(record)]
    assert main(argv) == 0


def test_discovery_opens_one_pull_request_and_updates_it_when_run_again(
    manifests_repo: Path,
    sandbox_dir: Path,
    actions_env: ActionsEnv,
    fake_github: tuple[FakeState, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = manifests_repo
    state, _ = fake_github
    actions_env("schedule", {})
    record = tmp_path / "change.json"
    _discover(root, record)
    open_pr = ["ci", "open-pr", "--root", str(root), "--record", str(record)]
    assert main(open_pr) == 0
    assert "Opened pull request #1" in capsys.readouterr().out
    (pull,) = state.pulls.values()
    assert pull["head"]["ref"] == "bedrock-gitops/discover"
    assert pull["title"] == "Discovered new model versions: financial-analyst v3"
    assert "fine-tuning job financial-analyst-training-" in pull["body"]
    assert (
        "https://s3.console.aws.amazon.com/s3/buckets/financial-analyst-training-111122223333" in pull["body"]
    )
    assert "```mermaid" in pull["body"]
    committed = state.files[("bedrock-gitops/discover", "models/financial-analyst.yaml")]
    assert committed == (root / "models" / "financial-analyst.yaml").read_text()

    # The next scheduled run (on the discovery branch) finds one more version: same pull request, updated.
    _discover(root, record)
    assert json.loads(record.read_text())["versions"][0]["version"] == "v4"
    assert main(open_pr) == 0
    assert "Updated pull request #1" in capsys.readouterr().out
    assert list(state.pulls) == [1]
    assert "financial-analyst v4" in state.pulls[1]["title"]
    assert "name: v4" in state.files[("bedrock-gitops/discover", "models/financial-analyst.yaml")]

    # Nothing new: the file is not committed again, the pull request is still the one.
    writes = len(state.writes())
    assert main(open_pr) == 0
    assert [m for m, p in state.writes()[writes:]] == ["PATCH"]
    assert len(state.pulls) == 1


def test_a_promotion_opens_its_own_pull_request_with_the_plan(
    manifests_repo: Path,
    sandbox_dir: Path,
    actions_env: ActionsEnv,
    fake_github: tuple[FakeState, str],
    tmp_path: Path,
) -> None:
    root = manifests_repo
    state, _ = fake_github
    actions_env("workflow_dispatch", {})
    record = tmp_path / "promote.json"
    argv = ["promote", "financial-analyst", "v2", "--to", "prod", "--sandbox", "--root", str(root)]
    assert main([*argv, "--record", str(record)]) == 1  # refused: staging has not converged on v2
    assert not record.exists()
    assert main(["ci", "open-pr", "--root", str(root), "--record", str(record)]) == 0
    assert state.pulls == {}  # nothing promoted, nothing to open

    argv = ["promote", "support-summarizer", "v1", "--to", "dev", "--sandbox", "--root", str(root)]
    assert main([*argv, "--regions", "us-east-1", "--record", str(record)]) == 0
    assert main(["ci", "open-pr", "--root", str(root), "--record", str(record)]) == 0
    (pull,) = state.pulls.values()
    assert pull["head"]["ref"] == "bedrock-gitops/promote-support-summarizer-v1-to-dev"
    assert "Plan for this environment" in pull["body"]
    assert "environments/dev.yaml" in pull["body"]
    assert "custom model `arn:aws:bedrock:us-east-1:111122223333:custom-model/" in pull["body"]


def test_the_body_escapes_what_it_did_not_write() -> None:
    evidence = {"customizationJob": {"name": "<img src=x>", "trainingData": "s3://b/k)](javascript:x)"}}
    record = ChangeRecord(
        "discover",
        "t",
        "bedrock-gitops/discover",
        ("models/m.yaml",),
        (ChangedVersion("m", "v2", "arn", evidence),),
    )
    body = render_body(record, [])
    assert "<img" not in body
    assert "](javascript:" not in body
    assert (
        s3_console_url("s3://bucket/a b/c")
        == "https://s3.console.aws.amazon.com/s3/buckets/bucket?prefix=a+b%2Fc"
    )
