"""A local stand-in for the GitHub REST API (only the endpoints the CI steps use), served by http.server
on 127.0.0.1: tests never reach the network."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from reconciler.ci.reviewed import artifact_name

TOKEN = "test-token"
BOT = "github-actions[bot]"
LIMIT = 65_536


@dataclass
class FakeState:
    repository: str = "acme/models"
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    pulls_by_commit: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    artifacts: list[dict[str, Any]] = field(default_factory=list)
    blobs: dict[str, bytes] = field(default_factory=dict)
    read_only: bool = False  # the token a fork's pull_request run gets
    page_size: int = 100
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    blob_authorization: list[str | None] = field(default_factory=list)
    next_id: int = 1000
    # `ci open-pr`: branch -> commit sha, (branch, path) -> file text, number -> pull request.
    branches: dict[str, str] = field(default_factory=lambda: {"main": "0" * 40})
    files: dict[tuple[str, str], str] = field(default_factory=dict)
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)
    # Apply coverage and reviewed plans: workflow runs ({"id", "path", "head_sha", "head_branch", "event",
    # "status", "conclusion", "created_at", "head_repository"}), main's commits oldest first, the files of
    # each pull request.
    workflow_runs: list[dict[str, Any]] = field(default_factory=list)
    history: list[str] = field(default_factory=list)
    pull_files: dict[int, list[str]] = field(default_factory=dict)

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def add_comment(self, number: int, body: str, login: str = BOT) -> dict[str, Any]:
        comment = {"id": self.new_id(), "body": body, "user": {"login": login}}
        self.comments.setdefault(number, []).append(comment)
        return comment

    def comment_bodies(self, number: int) -> list[str]:
        return [c["body"] for c in self.comments.get(number, [])]

    def writes(self) -> list[tuple[str, str]]:
        return [(m, p) for m, p, _ in self.requests if m != "GET"]

    def add_reviewed_plan(
        self,
        number: int,
        head: str,
        plan: str,
        *,
        run_id: int,
        artifact_id: int,
        created_at: str = "2026-11-25T08:00:00Z",
        **run: Any,
    ) -> None:
        """What the plan workflow leaves for pull request `number` at commit `head`: its run of plan.yml
        (`run` overrides what plan_run says of it) and the run's artifact holding `plan` as plan.json, zipped,
        created at `created_at`."""
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as bundle:
            bundle.writestr("plan.json", plan)
        self.blobs[str(artifact_id)] = archive.getvalue()
        self.artifacts.append(
            {
                "id": artifact_id,
                "name": artifact_name(number),
                "expired": False,
                "created_at": created_at,
                "archive_download_url": f"/repos/{self.repository}/actions/artifacts/{artifact_id}/zip",
                "workflow_run": {"id": run_id, "head_sha": head},
            }
        )
        self.workflow_runs.append(plan_run(run_id, head, **run))

    def add_merge(self, number: int, merge_sha: str, files: list[str], merged_at: str, head: str) -> None:
        """Pull request `number` (last commit `head`, changing `files`) merged into main as `merge_sha`."""
        self.pulls_by_commit[merge_sha] = [
            {
                "number": number,
                "title": f"change {number}",
                "merged_at": merged_at,
                "head": {"sha": head},
                "base": {"ref": "main"},
            }
        ]
        self.pull_files[number] = files
        self.history.append(merge_sha)


def plan_run(run_id: int, head: str, **fields: Any) -> dict[str, Any]:
    """A run of the plan workflow (plan.yml) for a pull request of this repository, as GitHub lists it."""
    return {
        "id": run_id,
        "path": ".github/workflows/plan.yml",
        "html_url": f"https://github.example/acme/models/actions/runs/{run_id}",
        "head_sha": head,
        "head_branch": "change",
        "event": "pull_request",
        "status": "completed",
        "conclusion": "success",
        "created_at": "2026-11-25T07:59:00Z",
        "head_repository": {"full_name": "acme/models"},
        **fields,
    }


class _Handler(BaseHTTPRequestHandler):
    state: FakeState

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _reply(self, status: int, payload: Any = None, headers: dict[str, str] | None = None) -> None:
        raw = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(raw)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(raw)

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length)) if length else None

    def _page(self, items: list[Any], query: dict[str, list[str]], wrap: str | None = None) -> None:
        size = min(int(query.get("per_page", ["30"])[0]), self.state.page_size)
        page = int(query.get("page", ["1"])[0])
        chunk = items[(page - 1) * size : page * size]
        headers = {}
        if page * size < len(items):
            url = urlparse(self.path)
            rest = {k: v[0] for k, v in query.items() if k != "page"}
            params = "&".join(f"{k}={v}" for k, v in rest.items())
            host = self.headers["Host"]
            headers["Link"] = f'<http://{host}{url.path}?{params}&page={page + 1}>; rel="next"'
        self._reply(200, {"total_count": len(items), wrap: chunk} if wrap else chunk, headers)

    def _handle(self, method: str) -> None:
        url = urlparse(self.path)
        query = parse_qs(url.query)
        body = self._body() if method in ("POST", "PATCH", "PUT") else None
        self.state.requests.append((method, url.path, body))
        if url.path.startswith("/blob/"):
            self.state.blob_authorization.append(self.headers.get("Authorization"))
            raw = self.state.blobs[url.path.removeprefix("/blob/")]
            self.send_response(200)
            self.send_header("Content-Type", "application/zip")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)
            return
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self._reply(401, {"message": "Bad credentials"})
            return
        if method != "GET" and self.state.read_only:
            self._reply(403, {"message": "Resource not accessible by integration"})
            return
        prefix = f"/repos/{self.state.repository}"
        if not url.path.startswith(prefix + "/"):
            self._reply(404, {"message": "Not Found"})
            return
        self._route(method, url.path.removeprefix(prefix), query, body)

    def _route(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> None:
        state = self.state
        if m := re.fullmatch(r"/issues/(\d+)/comments", path):
            number = int(m.group(1))
            if method == "GET":
                self._page(state.comments.get(number, []), query)
            elif len(body["body"]) > LIMIT:
                errors = [{"message": "body is too long"}]
                self._reply(422, {"message": "Validation Failed", "errors": errors})
            else:
                self._reply(201, state.add_comment(number, body["body"]))
            return
        if m := re.fullmatch(r"/issues/comments/(\d+)", path):
            ident = int(m.group(1))
            for comments in state.comments.values():
                for comment in comments:
                    if comment["id"] == ident:
                        if method == "DELETE":
                            comments.remove(comment)
                            self._reply(204)
                        elif len(body["body"]) > LIMIT:
                            self._reply(422, {"message": "Validation Failed"})
                        else:
                            comment["body"] = body["body"]
                            self._reply(200, comment)
                        return
            self._reply(404, {"message": "Not Found"})
            return
        if path == "/issues":
            if method == "GET":
                label = query.get("labels", [""])[0]
                found = [
                    i
                    for i in state.issues.values()
                    if i["state"] == query.get("state", ["open"])[0] and label in i["labels"]
                ]
                self._page(found, query)
            else:
                number = len(state.issues) + 1
                issue = {
                    "number": number,
                    "title": body["title"],
                    "body": body["body"],
                    "labels": body.get("labels", []),
                    "state": "open",
                    "user": {"login": BOT},
                }
                state.issues[number] = issue
                self._reply(201, issue)
            return
        if m := re.fullmatch(r"/issues/(\d+)", path):
            issue = state.issues[int(m.group(1))]
            issue.update({k: v for k, v in body.items() if k in ("title", "body", "state")})
            self._reply(200, issue)
            return
        if self._route_pulls(method, path, query, body):
            return
        if m := re.fullmatch(r"/commits/([0-9a-f]+)/pulls", path):
            self._page(state.pulls_by_commit.get(m.group(1), []), query)
            return
        if path == "/actions/artifacts":
            name = query.get("name", [""])[0]
            self._page([a for a in state.artifacts if a["name"] == name], query, wrap="artifacts")
            return
        if self._route_runs(path, query):
            return
        if m := re.fullmatch(r"/actions/artifacts/(\d+)/zip", path):
            host = self.headers["Host"]
            self.send_response(302)
            self.send_header("Location", f"http://{host}/blob/{m.group(1)}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self._reply(404, {"message": "Not Found"})

    def _route_pulls(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> bool:
        """Branches (git refs), file contents and pull requests; True when the path was one of them."""
        state = self.state
        if m := re.fullmatch(r"/git/ref/heads/(.+)", path):
            branch = m.group(1)
            if branch in state.branches:
                self._reply(200, {"ref": f"refs/heads/{branch}", "object": {"sha": state.branches[branch]}})
            else:
                self._reply(404, {"message": "Not Found"})
            return True
        if path == "/git/refs" and method == "POST":
            branch = body["ref"].removeprefix("refs/heads/")
            if branch in state.branches:
                self._reply(422, {"message": "Reference already exists"})
                return True
            state.branches[branch] = body["sha"]
            for (on, file), text in list(state.files.items()):
                if on == "main":
                    state.files[(branch, file)] = text
            self._reply(201, {"ref": body["ref"], "object": {"sha": body["sha"]}})
            return True
        if m := re.fullmatch(r"/contents/(.+)", path):
            file = m.group(1)
            if method == "GET":
                branch = query.get("ref", ["main"])[0]
                text = state.files.get((branch, file))
                if text is None:
                    self._reply(404, {"message": "Not Found"})
                else:
                    raw = text.encode()
                    sha = hashlib.sha1(b"blob %d\0" % len(raw) + raw).hexdigest()
                    self._reply(200, {"sha": sha, "content": base64.b64encode(raw).decode()})
                return True
            branch = body["branch"]
            if (branch, file) in state.files and "sha" not in body:
                self._reply(422, {"message": 'Invalid request. "sha" wasn\'t supplied.'})
                return True
            state.files[(branch, file)] = base64.b64decode(body["content"]).decode()
            state.branches[branch] = f"{state.new_id():040d}"
            self._reply(200, {"commit": {"sha": state.branches[branch], "message": body["message"]}})
            return True
        if path == "/pulls":
            if method == "GET":
                head = query.get("head", [""])[0].split(":", 1)[-1]
                found = [
                    p
                    for p in state.pulls.values()
                    if p["state"] == query.get("state", ["open"])[0] and p["head"]["ref"] == head
                ]
                self._page(found, query)
            else:
                number = len(state.pulls) + len(state.issues) + 1
                pull = {
                    "number": number,
                    "title": body["title"],
                    "body": body["body"],
                    "state": "open",
                    "head": {"ref": body["head"]},
                    "base": {"ref": body["base"]},
                    "html_url": f"https://github.example/{state.repository}/pull/{number}",
                }
                state.pulls[number] = pull
                self._reply(201, pull)
            return True
        if m := re.fullmatch(r"/pulls/(\d+)", path):
            pull = state.pulls[int(m.group(1))]
            pull.update({k: v for k, v in body.items() if k in ("title", "body", "state")})
            self._reply(200, pull)
            return True
        return False

    def _route_runs(self, path: str, query: dict[str, list[str]]) -> bool:
        """Workflow runs, a run's artifacts, commit comparison and pull request files."""
        state = self.state
        if m := re.fullmatch(r"/actions/workflows/([^/]+)/runs", path):
            wanted = {k: v[0] for k, v in query.items() if k in ("branch", "event", "status", "head_sha")}

            def matches(run: dict[str, Any]) -> bool:
                fields = {
                    "branch": run.get("head_branch"),
                    "event": run.get("event"),
                    "head_sha": run.get("head_sha"),
                }
                for key, value in wanted.items():
                    if key == "status":
                        if value not in (run.get("status"), run.get("conclusion")):
                            return False
                    elif fields[key] != value:
                        return False
                return True

            runs = [
                r
                for r in state.workflow_runs
                if r["path"] == f".github/workflows/{m.group(1)}" and matches(r)
            ]
            runs.sort(key=lambda r: (r["created_at"], r["id"]), reverse=True)  # newest first, as GitHub
            self._page(runs, query, wrap="workflow_runs")
            return True
        if m := re.fullmatch(r"/actions/runs/(\d+)/artifacts", path):
            name = query.get("name", [""])[0]
            found = [
                a
                for a in state.artifacts
                if (a.get("workflow_run") or {}).get("id") == int(m.group(1)) and a["name"] == name
            ]
            self._page(found, query, wrap="artifacts")
            return True
        if m := re.fullmatch(r"/compare/([0-9a-f]+)\.\.\.([0-9a-f]+)", path):
            base, head = m.group(1), m.group(2)
            if base not in state.history or head not in state.history:
                self._reply(200, {"status": "diverged", "commits": []})
                return True
            start, end = state.history.index(base), state.history.index(head)
            status = "ahead" if end > start else "identical" if end == start else "behind"
            commits = [{"sha": sha} for sha in state.history[start + 1 : end + 1]]
            self._reply(200, {"status": status, "total_commits": len(commits), "commits": commits})
            return True
        if m := re.fullmatch(r"/pulls/(\d+)/files", path):
            files = state.pull_files.get(int(m.group(1)))
            if files is None:
                self._reply(404, {"message": "Not Found"})
            else:
                self._page([{"filename": f} for f in files], query)
            return True
        return False

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")


@contextmanager
def serve(state: FakeState) -> Iterator[str]:
    """The base URL of a server answering from `state` (for GITHUB_API_URL)."""
    handler = type("Handler", (_Handler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
