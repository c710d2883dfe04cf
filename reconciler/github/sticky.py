"""One sticky comment per pull request (possibly in numbered parts), and one drift issue per repository.

A comment is ours when its body starts with the hidden marker `<!-- bedrock-gitops:<kind> part=<n> -->`
(reconciler.comment.markdown.marker) and, when `author` is given, it was written by that account (so
nobody can get their comment overwritten by planting the marker). Each run edits the parts in place,
creates the parts that are new, and deletes parts a shorter comment no longer needs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.comment.markdown import MARKER_PREFIX
from reconciler.github.api import GitHub

DEFAULT_AUTHOR = "github-actions[bot]"
DRIFT_LABEL = "bedrock-gitops-drift"
DRIFT_MARKER = f"{MARKER_PREFIX}drift -->"


@dataclass(frozen=True, slots=True)
class StickyResult:
    created: tuple[int, ...]
    updated: tuple[int, ...]
    unchanged: tuple[int, ...]
    deleted: tuple[int, ...]

    @property
    def comment_ids(self) -> tuple[int, ...]:
        return tuple(sorted(self.created + self.updated + self.unchanged))


def _part(body: str, kind: str) -> int | None:
    found = re.match(rf"{re.escape(MARKER_PREFIX)}{re.escape(kind)} part=([0-9]+) -->", body)
    return int(found.group(1)) if found else None


def _ours(comment: dict[str, Any], author: str | None) -> bool:
    return author is None or (comment.get("user") or {}).get("login") == author


def upsert_comment(
    github: GitHub, number: int, kind: str, parts: Sequence[str], *, author: str | None = DEFAULT_AUTHOR
) -> StickyResult:
    """Make the PR's `kind` comment read `parts` (bodies that start with their markers)."""
    existing: dict[int, dict[str, Any]] = {}
    duplicates: list[int] = []
    for comment in sorted(github.issue_comments(number), key=lambda c: int(c["id"])):
        part = _part(str(comment.get("body") or ""), kind)
        if part is None or not _ours(comment, author):
            continue
        if part in existing:
            duplicates.append(int(comment["id"]))  # e.g. two runs raced; keep the oldest
        else:
            existing[part] = comment
    created, updated, unchanged = [], [], []
    for number_in_order, body in enumerate(parts, start=1):
        current: dict[str, Any] | None = existing.pop(number_in_order, None)
        if current is None:
            created.append(int(github.create_comment(number, body)["id"]))
        elif current.get("body") != body:
            updated.append(int(github.update_comment(int(current["id"]), body)["id"]))
        else:
            unchanged.append(int(current["id"]))
    deleted = [int(c["id"]) for c in existing.values()] + duplicates
    for comment_id in deleted:
        github.delete_comment(comment_id)
    return StickyResult(tuple(created), tuple(updated), tuple(unchanged), tuple(deleted))


@dataclass(frozen=True, slots=True)
class IssueResult:
    number: int | None
    action: str  # opened | updated | closed | none


def _drift_issue(github: GitHub, author: str | None) -> dict[str, Any] | None:
    for issue in github.open_issues(DRIFT_LABEL):
        if str(issue.get("body") or "").startswith(DRIFT_MARKER) and _ours(issue, author):
            return issue
    return None


def upsert_drift_issue(
    github: GitHub, title: str, body: str, *, author: str | None = DEFAULT_AUTHOR
) -> IssueResult:
    """Open the drift issue, or update the one already open (never a second one)."""
    text = f"{DRIFT_MARKER}\n{body}"
    issue = _drift_issue(github, author)
    if issue is None:
        opened = github.create_issue(title, text, [DRIFT_LABEL])
        return IssueResult(int(opened["number"]), "opened")
    github.update_issue(int(issue["number"]), title=title, body=text)
    return IssueResult(int(issue["number"]), "updated")


def close_drift_issue(github: GitHub, comment: str, *, author: str | None = DEFAULT_AUTHOR) -> IssueResult:
    """Close the open drift issue (AWS matches the manifests again), saying why; nothing if none is open."""
    issue = _drift_issue(github, author)
    if issue is None:
        return IssueResult(None, "none")
    github.create_comment(int(issue["number"]), comment)
    github.update_issue(int(issue["number"]), state="closed", state_reason="completed")
    return IssueResult(int(issue["number"]), "closed")
