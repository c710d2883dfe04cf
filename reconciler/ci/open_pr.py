"""`ci open-pr`: put the files a discovery or a promotion changed on a branch, and open a pull request
for them, or update the one already open from that branch (never a second one).

The branch is named by the change (one for discovery, one per promotion). A branch that exists is
committed onto, not reset: the discovery workflow checks it out before discovering, so what reviewers
added there (approvals, evaluations) stays.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from reconciler.ci.actions_env import ActionsRun
from reconciler.errors import ReconcilerError
from reconciler.github.pulls import (
    branch_sha,
    commit_file,
    create_branch,
    create_pull,
    file_sha,
    open_pull,
    update_pull,
)
from reconciler.promoting import promotion_status
from reconciler.promotion.change import read_record
from reconciler.promotion.pr_body import render_body


@dataclass(frozen=True)
class OpenedPull:
    number: int
    url: str
    created: bool  # False: an open pull request was updated
    committed: tuple[str, ...]  # files committed by this run (unchanged files are not committed again)


def _git_blob_sha(text: str) -> str:
    """The sha GitHub reports for a file with this content (git's blob id)."""
    data = text.encode("utf-8")
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def open_pull_request(actions: ActionsRun, root: Path, record_path: Path, base: str) -> OpenedPull:
    record = read_record(record_path)
    github = actions.github()
    base_sha = branch_sha(github, base)
    if base_sha is None:
        raise ReconcilerError(f"the base branch '{base}' does not exist in {actions.repository}; pass --base")
    if branch_sha(github, record.branch) is None:
        create_branch(github, record.branch, base_sha)
    committed = []
    for file in record.files:
        path = root / file
        if not path.is_file():
            raise ReconcilerError(f"{path} (listed in {record_path}) does not exist; run the change again")
        text = path.read_text(encoding="utf-8")
        if file_sha(github, file, record.branch) == _git_blob_sha(text):
            continue  # already on the branch as it is
        commit_file(
            github, file, text, f"{record.title}\n\nbedrock-gitops ci open-pr ({file})", record.branch
        )
        committed.append(file)
    status = promotion_status(root, sandbox=False, offline=True)
    body = render_body(record, status, actions.run_url)
    existing = open_pull(github, record.branch, base)
    if existing is not None:
        pull = update_pull(github, int(existing["number"]), record.title, body)
        created = False
    else:
        pull = create_pull(github, record.title, body, record.branch, base)
        created = True
    return OpenedPull(int(pull["number"]), str(pull.get("html_url", "")), created, tuple(committed))
