"""Which merged pull requests one apply run covers, so that no merged change is skipped silently.

GitHub keeps one *pending* run per concurrency group: of three quick merges, the middle apply run is
cancelled before it starts, and the run that does start is the third merge's. It re-plans the branch, which
holds every merged change, so it must answer for every pull request merged since the last successful apply:

    covered = the merged pull requests of the commits in (B, HEAD], where B is the head commit of the newest
              successful run of the apply workflow on the branch (the marker a successful apply leaves);
              HEAD's own pull request always. No successful run yet, or a history GitHub cannot compare
              (B rewritten away): HEAD's own pull request only, and the run says so.

A run that stops or fails is not successful, so the next run covers its pull requests again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.errors import ReconcilerError
from reconciler.github.api import GitHub

MANIFEST_FOLDERS = ("models/", "environments/")


@dataclass(frozen=True)
class Coverage:
    head: str
    # The last successfully applied commit (None: no successful apply run is known).
    base: str | None
    # The merged pull requests covered, in merge order; HEAD's own is among them.
    pulls: tuple[dict[str, Any], ...]
    # How the pull requests were found, for the log and the comments.
    note: str

    @property
    def numbers(self) -> tuple[int, ...]:
        return tuple(int(p["number"]) for p in self.pulls)


def merged_pull_request(github: GitHub, sha: str) -> dict[str, Any]:
    pulls = [p for p in github.pulls_for_commit(sha) if p.get("merged_at")]
    if not pulls:
        raise ReconcilerError(
            f"commit {sha[:12]} was not merged through a pull request, so no plan was reviewed; nothing "
            "was applied. Changes reach AWS through reviewed pull requests (or run apply by hand)"
        )
    return pulls[0]


def last_applied_commit(github: GitHub, workflow: str, branch: str) -> str | None:
    """The head commit of the newest successful run of `workflow` for pushes to `branch`."""
    for run in github.workflow_runs(workflow, branch=branch, event="push", status="success"):
        return str(run["head_sha"])
    return None


def coverage(github: GitHub, head: str, *, workflow: str, branch: str) -> Coverage:
    own = merged_pull_request(github, head)
    base = last_applied_commit(github, workflow, branch)
    if base is None:
        return Coverage(
            head,
            None,
            (own,),
            f"no successful run of {workflow} on {branch} yet: this run covers #{own['number']} only",
        )
    status, commits = github.compare(base, head) if base != head else ("identical", [])
    if status not in ("ahead", "identical"):
        return Coverage(
            head,
            base,
            (own,),
            f"the last applied commit {base[:12]} is not behind {head[:12]} ({status}: history rewritten?), "
            f"so the pull requests merged since cannot be listed: this run covers #{own['number']} only",
        )
    found: dict[int, dict[str, Any]] = {}
    for commit in commits:
        for pull in github.pulls_for_commit(str(commit["sha"])):
            if pull.get("merged_at") and (pull.get("base") or {}).get("ref", branch) == branch:
                found.setdefault(int(pull["number"]), pull)
    found.setdefault(int(own["number"]), own)
    pulls = tuple(sorted(found.values(), key=lambda p: (str(p.get("merged_at")), int(p["number"]))))
    numbers = ", ".join(f"#{p['number']}" for p in pulls)
    return Coverage(
        head,
        base,
        pulls,
        f"merged since the last successful apply ({workflow} at {base[:12]}): {numbers}",
    )


def changes_manifests(github: GitHub, number: int) -> bool:
    """Whether a pull request changes models/ or environments/ (only those get a reviewed plan)."""
    return any(path.startswith(MANIFEST_FOLDERS) for path in github.pull_files(number))


def covered_line(pulls: Sequence[dict[str, Any]]) -> str:
    """One line for each covered pull request's comment (numbers only: GitHub links them; no user text)."""
    numbers = ", ".join(f"#{int(p['number'])}" for p in pulls)
    return (
        f"This apply covers every pull request merged since the last successful apply: {numbers} "
        "(GitHub cancels a pending apply run when a newer merge queues behind it)."
    )
