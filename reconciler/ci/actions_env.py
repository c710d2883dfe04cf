"""What a step knows about its GitHub Actions run, read from the environment Actions provides
(https://docs.github.com/actions/reference/variables-reference)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.errors import ReconcilerError
from reconciler.github.api import DEFAULT_API_URL, GitHub


@dataclass(frozen=True)
class ActionsRun:
    repository: str
    token: str
    api_url: str = DEFAULT_API_URL
    server_url: str = "https://github.com"
    run_id: str = ""
    sha: str = ""
    event_name: str = ""
    event: Mapping[str, Any] = field(default_factory=dict)
    step_summary: Path | None = None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> ActionsRun:
        env = os.environ if environ is None else environ
        missing = [name for name in ("GITHUB_REPOSITORY", "GITHUB_TOKEN") if not env.get(name)]
        if missing:
            raise ReconcilerError(
                f"{' and '.join(missing)} not set: this command runs inside GitHub Actions; pass the "
                "token with `env: GITHUB_TOKEN: ${{ github.token }}`"
            )
        event: Mapping[str, Any] = {}
        if env.get("GITHUB_EVENT_PATH"):
            try:
                event = json.loads(Path(env["GITHUB_EVENT_PATH"]).read_text(encoding="utf-8"))
            except (OSError, ValueError) as error:
                path = env["GITHUB_EVENT_PATH"]
                raise ReconcilerError(f"cannot read the event payload {path}: {error}") from None
        return cls(
            repository=env["GITHUB_REPOSITORY"],
            token=env["GITHUB_TOKEN"],
            api_url=env.get("GITHUB_API_URL") or DEFAULT_API_URL,
            server_url=env.get("GITHUB_SERVER_URL") or "https://github.com",
            run_id=env.get("GITHUB_RUN_ID", ""),
            sha=env.get("GITHUB_SHA", ""),
            event_name=env.get("GITHUB_EVENT_NAME", ""),
            event=event,
            step_summary=Path(env["GITHUB_STEP_SUMMARY"]) if env.get("GITHUB_STEP_SUMMARY") else None,
        )

    def github(self) -> GitHub:
        return GitHub(self.token, self.repository, self.api_url)

    @property
    def run_url(self) -> str:
        if not self.run_id:
            return ""
        return f"{self.server_url}/{self.repository}/actions/runs/{self.run_id}"

    @property
    def pull_request(self) -> Mapping[str, Any]:
        return self.event.get("pull_request") or {}

    @property
    def pr_number(self) -> int | None:
        number = self.pull_request.get("number")
        return int(number) if number is not None else None

    @property
    def is_fork(self) -> bool:
        """The PR's head branch lives in another repository: it gets no secrets and a read-only token."""
        head = (self.pull_request.get("head") or {}).get("repo") or {}
        return bool(self.pull_request) and head.get("full_name") != self.repository

    def write_summary(self, markdown: str) -> None:
        if self.step_summary is not None:
            with self.step_summary.open("a", encoding="utf-8") as stream:
                stream.write(markdown.rstrip("\n") + "\n")
