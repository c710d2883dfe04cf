"""Posting through the GitHub REST API (a local stand-in): sticky comments, the drift issue, errors."""

from __future__ import annotations

import io
import zipfile

import pytest

from reconciler.comment.markdown import marker
from reconciler.errors import ReconcilerError
from reconciler.github.api import GitHub, GitHubError
from reconciler.github.sticky import (
    DRIFT_LABEL,
    close_drift_issue,
    upsert_comment,
    upsert_drift_issue,
)
from tests.gitops.fake_github import FakeState


def _parts(*bodies: str) -> list[str]:
    return [f"{marker('plan', n)}\n{body}" for n, body in enumerate(bodies, start=1)]


def test_second_run_edits_the_sticky_comment_instead_of_adding_one(
    github: GitHub, fake_github: tuple[FakeState, str]
) -> None:
    state, _ = fake_github
    state.add_comment(7, "LGTM", login="reviewer")
    first = upsert_comment(github, 7, "plan", _parts("Plan: 1 to add"))
    second = upsert_comment(github, 7, "plan", _parts("Plan: 2 to add"))
    assert len(first.created) == 1
    assert second.created == ()
    assert second.updated == first.created
    bodies = state.comment_bodies(7)
    assert bodies == ["LGTM", _parts("Plan: 2 to add")[0]]
    assert [m for m, _ in state.writes()] == ["POST", "PATCH"]


def test_an_unchanged_comment_is_not_rewritten(github: GitHub, fake_github: tuple[FakeState, str]) -> None:
    state, _ = fake_github
    upsert_comment(github, 7, "plan", _parts("same"))
    result = upsert_comment(github, 7, "plan", _parts("same"))
    assert len(result.unchanged) == 1
    assert [m for m, _ in state.writes()] == ["POST"]


def test_parts_grow_and_shrink_in_place(github: GitHub, fake_github: tuple[FakeState, str]) -> None:
    state, _ = fake_github
    three = upsert_comment(github, 7, "plan", _parts("a", "b", "c"))
    one = upsert_comment(github, 7, "plan", _parts("A"))
    assert one.updated == three.created[:1]
    assert sorted(one.deleted) == sorted(three.created[1:])
    assert state.comment_bodies(7) == _parts("A")


def test_a_marker_planted_by_someone_else_is_left_alone(
    github: GitHub, fake_github: tuple[FakeState, str]
) -> None:
    state, _ = fake_github
    planted = state.add_comment(7, _parts("fake plan")[0], login="mallory")
    upsert_comment(github, 7, "plan", _parts("real plan"))
    assert planted in state.comments[7]
    assert planted["body"] == _parts("fake plan")[0]
    assert len(state.comments[7]) == 2


def test_comments_are_found_across_pages(github: GitHub, fake_github: tuple[FakeState, str]) -> None:
    state, _ = fake_github
    state.page_size = 2
    for n in range(5):
        state.add_comment(7, f"chatter {n}", login="someone")
    first = upsert_comment(github, 7, "plan", _parts("v1"))
    second = upsert_comment(github, 7, "plan", _parts("v2"))
    assert second.updated == first.created
    assert len(state.comments[7]) == 6


def test_apply_and_plan_comments_are_separate_stickies(github: GitHub) -> None:
    plan = upsert_comment(github, 7, "plan", _parts("plan"))
    apply = upsert_comment(github, 7, "apply", [f"{marker('apply')}\napplied"])
    assert plan.created != apply.created
    assert upsert_comment(github, 7, "plan", _parts("plan")).unchanged == plan.created


def test_drift_issue_is_opened_once_then_updated_then_closed(
    github: GitHub, fake_github: tuple[FakeState, str]
) -> None:
    state, _ = fake_github
    opened = upsert_drift_issue(github, "Drift: 1 to add", "first")
    updated = upsert_drift_issue(github, "Drift: 2 to add", "second")
    assert (opened.action, updated.action) == ("opened", "updated")
    assert opened.number == updated.number
    assert len(state.issues) == 1
    issue = state.issues[opened.number or 0]
    assert issue["title"] == "Drift: 2 to add"
    assert issue["body"].endswith("second")
    assert DRIFT_LABEL in issue["labels"]
    closed = close_drift_issue(github, "resolved")
    assert closed.action == "closed"
    assert issue["state"] == "closed"
    assert close_drift_issue(github, "resolved").action == "none"
    assert upsert_drift_issue(github, "Drift again", "third").action == "opened"
    assert len(state.issues) == 2


def test_a_read_only_token_gives_advice_not_a_traceback(
    github: GitHub, fake_github: tuple[FakeState, str]
) -> None:
    state, _ = fake_github
    state.read_only = True
    with pytest.raises(GitHubError, match=r"HTTP 403.*permissions.*forks only get a read-only token"):
        upsert_comment(github, 7, "plan", _parts("x"))


def test_a_body_over_the_limit_is_refused_with_advice(github: GitHub) -> None:
    with pytest.raises(GitHubError, match=r"HTTP 422.*65,536"):
        github.create_comment(7, "x" * 70_000)


def test_unreachable_api_is_reported_plainly() -> None:
    github = GitHub("t", "acme/models", "http://127.0.0.1:9", retries=0)
    with pytest.raises(ReconcilerError, match="cannot reach the GitHub API"):
        github.issue_comments(1)


def test_artifact_download_does_not_leak_the_token_to_blob_storage(
    github: GitHub, fake_github: tuple[FakeState, str]
) -> None:
    state, url = fake_github
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("plan.json", "{}")
    state.blobs["5"] = buffer.getvalue()
    data = github.download(f"{url}/repos/{state.repository}/actions/artifacts/5/zip")
    assert data == buffer.getvalue()
    assert state.blob_authorization == [None]
