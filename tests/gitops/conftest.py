"""Fixtures for the GitOps tests: a local GitHub API stand-in, the Actions environment, a manifests repo."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.github.api import GitHub
from tests.gitops.fake_github import TOKEN, FakeState, serve

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def fake_github() -> Iterator[tuple[FakeState, str]]:
    state = FakeState()
    with serve(state) as url:
        yield state, url


@pytest.fixture
def github(fake_github: tuple[FakeState, str]) -> GitHub:
    state, url = fake_github
    return GitHub(TOKEN, state.repository, url, retries=0)


@pytest.fixture
def manifests_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the example manifests with its own sandbox estate."""
    root = tmp_path / "repo"
    for folder in ("models", "environments"):
        shutil.copytree(REPO / folder, root / folder)
    monkeypatch.setenv("BEDROCK_GITOPS_SANDBOX_DIR", str(tmp_path / "sandbox"))
    monkeypatch.delenv("BEDROCK_GITOPS_SANDBOX", raising=False)
    return root


ActionsEnv = Callable[..., Path]


@pytest.fixture
def actions_env(
    fake_github: tuple[FakeState, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> ActionsEnv:
    """Set the GITHUB_* variables of a run for `event` (written to GITHUB_EVENT_PATH); returns the
    step summary file."""
    state, url = fake_github

    def configure(event_name: str, event: dict[str, Any], sha: str = "c0ffee" * 6 + "abcd") -> Path:
        event_file = tmp_path / "event.json"
        event_file.write_text(json.dumps(event))
        summary = tmp_path / "summary.md"
        for key, value in {
            "GITHUB_REPOSITORY": state.repository,
            "GITHUB_TOKEN": TOKEN,
            "GITHUB_API_URL": url,
            "GITHUB_SERVER_URL": "https://github.example",
            "GITHUB_RUN_ID": "4242",
            "GITHUB_SHA": sha,
            "GITHUB_EVENT_NAME": event_name,
            "GITHUB_EVENT_PATH": str(event_file),
            "GITHUB_STEP_SUMMARY": str(summary),
        }.items():
            monkeypatch.setenv(key, value)
        return summary

    return configure


def pull_request_event(number: int, head_repo: str | None, head_sha: str = "feed" * 10) -> dict[str, Any]:
    return {
        "number": number,
        "pull_request": {
            "number": number,
            "head": {"sha": head_sha, "repo": {"full_name": head_repo} if head_repo else None},
            "base": {"repo": {"full_name": "acme/models"}},
        },
    }
