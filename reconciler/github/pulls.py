"""Branches, file commits and pull requests through the GitHub REST API, for `ci open-pr`: no git push and
no credentials but the workflow's token (https://docs.github.com/rest/git/refs,
https://docs.github.com/rest/repos/contents, https://docs.github.com/rest/pulls/pulls)."""

from __future__ import annotations

import base64
import urllib.parse
from typing import Any

from reconciler.github.api import GitHub, GitHubError


def _quote(path: str) -> str:
    return urllib.parse.quote(path, safe="/")


def branch_sha(github: GitHub, branch: str) -> str | None:
    """The commit a branch points at, None when there is no such branch."""
    try:
        ref = github.get(f"/repos/{github.repository}/git/ref/heads/{_quote(branch)}")
    except GitHubError as error:
        if error.status == 404:
            return None
        raise
    return str(ref["object"]["sha"])


def create_branch(github: GitHub, branch: str, sha: str) -> None:
    github.request(
        "POST", f"/repos/{github.repository}/git/refs", {"ref": f"refs/heads/{branch}", "sha": sha}
    )


def file_sha(github: GitHub, path: str, branch: str) -> str | None:
    """The blob sha of a file on a branch (needed to replace it), None when it is not there."""
    query = urllib.parse.urlencode({"ref": branch})
    try:
        found = github.get(f"/repos/{github.repository}/contents/{_quote(path)}?{query}")
    except GitHubError as error:
        if error.status == 404:
            return None
        raise
    return str(found["sha"]) if isinstance(found, dict) and "sha" in found else None


def commit_file(github: GitHub, path: str, text: str, message: str, branch: str) -> None:
    """One commit on `branch` that creates or replaces `path` with `text`."""
    body: dict[str, Any] = {
        "message": message,
        "content": base64.b64encode(text.encode("utf-8")).decode("ascii"),
        "branch": branch,
    }
    sha = file_sha(github, path, branch)
    if sha is not None:
        body["sha"] = sha
    github.request("PUT", f"/repos/{github.repository}/contents/{_quote(path)}", body)


def open_pull(github: GitHub, branch: str, base: str) -> dict[str, Any] | None:
    """The open pull request from `branch` into `base`, if there is one."""
    owner = github.repository.split("/", 1)[0]
    query = urllib.parse.urlencode({"state": "open", "head": f"{owner}:{branch}", "base": base})
    for pull in github.paginate(f"/repos/{github.repository}/pulls?{query}"):
        return dict(pull)
    return None


def create_pull(github: GitHub, title: str, body: str, branch: str, base: str) -> dict[str, Any]:
    payload = {"title": title, "body": body, "head": branch, "base": base}
    return dict(github.request("POST", f"/repos/{github.repository}/pulls", payload))


def update_pull(github: GitHub, number: int, title: str, body: str) -> dict[str, Any]:
    payload = {"title": title, "body": body}
    return dict(github.request("PATCH", f"/repos/{github.repository}/pulls/{number}", payload))
