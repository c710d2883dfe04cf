"""Fixtures for the GitOps tests: a local GitHub API stand-in, the Actions environment, a manifests repo and
its sandbox, and the apply step run against that sandbox."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.applying import ApplyRequest, apply
from reconciler.aws.executor import ExecutionOptions
from reconciler.ci.actions_env import ActionsRun
from reconciler.ci.merge import Applier, apply_merged
from reconciler.github.api import GitHub
from reconciler.sandbox.clock import SandboxClock
from reconciler.sandbox.estate import SandboxEstate
from tests.examples import example_repo
from tests.gitops.fake_github import TOKEN, FakeState, serve


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
    return example_repo(tmp_path, monkeypatch)


@pytest.fixture
def sandbox_dir(manifests_repo: Path, tmp_path: Path) -> Path:
    """The manifests repo's sandbox (BEDROCK_GITOPS_SANDBOX_DIR), its clock frozen: only the executor's
    clock moves it, so nothing waits in real time."""
    directory = tmp_path / "sandbox"
    with SandboxEstate.open(directory) as estate:
        estate.update_settings(time_scale=0.0)
    return directory


def sandbox_applier(root: Path, sandbox_dir: Path, calls: list[Path]) -> Applier:
    """`bedrock-gitops apply PLANFILE` against the sandbox; each plan file it is given goes to `calls`."""

    def run(plan_file: Path, report: Path) -> int:
        calls.append(plan_file)
        result = apply(
            ApplyRequest(
                root=root,
                sandbox=True,
                sandbox_dir=sandbox_dir,
                planfile=plan_file,
                report_path=report,
                options=ExecutionOptions(max_workers=8, poll_seconds=300),
            ),
            confirm=lambda _plan: True,
            clock=SandboxClock(sandbox_dir),
        )
        return 0 if result.report is not None and result.report.succeeded else 1

    return run


def apply_merged_in_sandbox(root: Path, sandbox_dir: Path, workdir: Path) -> tuple[int, list[Path]]:
    """`ci apply-merged` for the run the environment describes: the exit code and the plan files applied."""
    calls: list[Path] = []
    applier = sandbox_applier(root, sandbox_dir, calls)
    code = apply_merged(ActionsRun.from_environment(), root, workdir, sandbox=True, applier=applier)
    return code, calls


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
