"""A small GitHub REST API client (urllib only): the handful of calls the CI steps need.

The base URL comes from GITHUB_API_URL in Actions (GitHub Enterprise Server has its own); tests point it
at a local HTTP server. The token is sent only to that base URL: artifact downloads redirect to blob
storage, which must not receive it (the header is "unredirected").
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.errors import ReconcilerError

DEFAULT_API_URL = "https://api.github.com"
USER_AGENT = "bedrock-gitops"
_NEXT_LINK = re.compile(r'<([^>]+)>;\s*rel="next"')
RETRIED_STATUSES = frozenset({500, 502, 503, 504})


class GitHubError(ReconcilerError):
    def __init__(self, method: str, path: str, status: int, message: str) -> None:
        self.status = status
        hint = {
            401: "the token is missing or expired (GITHUB_TOKEN)",
            403: "the token lacks a permission: check the workflow's `permissions:` block "
            "(pull requests from forks only get a read-only token)",
            404: "no such repository, pull request or issue, or the token cannot see it",
            422: "GitHub rejected the content (a comment is limited to 65,536 characters)",
        }.get(status, "see https://www.githubstatus.com if this persists")
        super().__init__(f"GitHub API {method} {path} failed with HTTP {status}: {message}; {hint}")


@dataclass
class GitHub:
    token: str
    repository: str  # owner/name
    api_url: str = DEFAULT_API_URL
    timeout: float = 30.0
    retries: int = 2
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    # -- transport -------------------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return self.api_url.rstrip("/") + path

    def _send(self, method: str, path: str, body: Any = None) -> tuple[Any, Mapping[str, str]]:
        data = json.dumps(body).encode() if body is not None else None
        for attempt in range(self.retries + 1):
            request = urllib.request.Request(self._url(path), data=data, method=method)
            request.add_header("Accept", "application/vnd.github+json")
            request.add_header("X-GitHub-Api-Version", "2022-11-28")
            request.add_header("User-Agent", USER_AGENT)
            if data is not None:
                request.add_header("Content-Type", "application/json")
            request.add_unredirected_header("Authorization", f"Bearer {self.token}")
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    raw = response.read()
                    headers = dict(response.headers.items())
                    if "json" in headers.get("Content-Type", "") and raw:
                        return json.loads(raw), headers
                    return raw, headers
            except urllib.error.HTTPError as error:
                if error.code in RETRIED_STATUSES and attempt < self.retries:
                    self.sleep(2**attempt)
                    continue
                raise GitHubError(method, path, error.code, _message(error)) from None
            except urllib.error.URLError as error:
                if attempt < self.retries:
                    self.sleep(2**attempt)
                    continue
                raise ReconcilerError(
                    f"cannot reach the GitHub API at {self.api_url}: {error.reason}; check GITHUB_API_URL"
                ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def get(self, path: str) -> Any:
        return self._send("GET", path)[0]

    def request(self, method: str, path: str, body: Any = None) -> Any:
        """Any other call (the branch, contents and pull request calls of `ci open-pr`)."""
        return self._send(method, path, body)[0]

    def paginate(self, path: str) -> Iterator[Any]:
        """Every item of a list endpoint, following `Link: rel="next"` (100 per page)."""
        separator = "&" if "?" in path else "?"
        url: str | None = f"{path}{separator}per_page=100"
        while url:
            page, headers = self._send("GET", url)
            items = page if isinstance(page, list) else next(v for v in page.values() if isinstance(v, list))
            yield from items
            found = _NEXT_LINK.search(headers.get("Link", ""))
            url = found.group(1) if found else None

    # -- issues and comments ---------------------------------------------------------------------------

    def _repo(self, suffix: str) -> str:
        return f"/repos/{self.repository}{suffix}"

    def issue_comments(self, number: int) -> list[dict[str, Any]]:
        return list(self.paginate(self._repo(f"/issues/{number}/comments")))

    def create_comment(self, number: int, body: str) -> dict[str, Any]:
        return dict(self._send("POST", self._repo(f"/issues/{number}/comments"), {"body": body})[0])

    def update_comment(self, comment_id: int, body: str) -> dict[str, Any]:
        return dict(self._send("PATCH", self._repo(f"/issues/comments/{comment_id}"), {"body": body})[0])

    def delete_comment(self, comment_id: int) -> None:
        self._send("DELETE", self._repo(f"/issues/comments/{comment_id}"))

    def open_issues(self, label: str) -> list[dict[str, Any]]:
        query = urllib.parse.urlencode({"state": "open", "labels": label})
        return [i for i in self.paginate(self._repo(f"/issues?{query}")) if "pull_request" not in i]

    def create_issue(self, title: str, body: str, labels: list[str]) -> dict[str, Any]:
        payload = {"title": title, "body": body, "labels": labels}
        return dict(self._send("POST", self._repo("/issues"), payload)[0])

    def update_issue(self, number: int, **fields: Any) -> dict[str, Any]:
        return dict(self._send("PATCH", self._repo(f"/issues/{number}"), fields)[0])

    # -- pull requests and artifacts -------------------------------------------------------------------

    def pulls_for_commit(self, sha: str) -> list[dict[str, Any]]:
        return list(self.paginate(self._repo(f"/commits/{sha}/pulls")))

    def workflow_runs(self, workflow: str, **filters: str) -> Iterator[dict[str, Any]]:
        """Runs of one workflow (its file name, e.g. plan.yml), newest first; `filters` are the endpoint's
        query parameters (branch, event, status, head_sha).
        https://docs.github.com/rest/actions/workflow-runs#list-workflow-runs-for-a-workflow"""
        query = urllib.parse.urlencode(filters)
        path = self._repo(f"/actions/workflows/{urllib.parse.quote(workflow)}/runs")
        return self.paginate(f"{path}?{query}" if query else path)

    def run_artifacts(self, run_id: int, name: str) -> list[dict[str, Any]]:
        """The artifacts named `name` that one workflow run uploaded.
        https://docs.github.com/rest/actions/artifacts#list-workflow-run-artifacts"""
        query = urllib.parse.urlencode({"name": name})
        return list(self.paginate(self._repo(f"/actions/runs/{run_id}/artifacts?{query}")))

    def compare(self, base: str, head: str) -> tuple[str, list[dict[str, Any]]]:
        """(status, commits) of base...head: status is ahead, identical, behind or diverged; commits are
        those reachable from head and not from base, oldest first.
        https://docs.github.com/rest/commits/commits#compare-two-commits"""
        status, commits = "", list[dict[str, Any]]()
        url: str | None = self._repo(f"/compare/{base}...{head}?per_page=100")
        while url:
            page, headers = self._send("GET", url)
            status = status or str(page.get("status", ""))
            commits += page.get("commits") or []
            found = _NEXT_LINK.search(headers.get("Link", ""))
            url = found.group(1) if found else None
        return status, commits

    def pull_files(self, number: int) -> list[str]:
        """The paths a pull request changes.
        https://docs.github.com/rest/pulls/pulls#list-pull-requests-files"""
        return [str(f["filename"]) for f in self.paginate(self._repo(f"/pulls/{number}/files"))]

    def download(self, url: str) -> bytes:
        raw = self._send("GET", url)[0]
        return raw if isinstance(raw, bytes) else json.dumps(raw).encode()


def _message(error: urllib.error.HTTPError) -> str:
    try:
        payload = json.loads(error.read() or b"{}")
    except ValueError:
        return error.reason or "no details"
    message = str(payload.get("message", error.reason))
    details = "; ".join(str(e.get("message", e)) for e in payload.get("errors", []) if isinstance(e, dict))
    return f"{message} ({details})" if details else message
