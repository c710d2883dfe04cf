"""The plan a pull request's reviewers saw: the artifact that the plan workflow's run for the PR's last head
commit uploaded, found through that run, never by the artifact's name alone.

Any workflow run can upload an artifact called `bedrock-gitops-plan-pr-<number>` (a pull request may add or
change workflows), so the name proves nothing. The reviewed plan is taken from:

1. the newest *successful* run of the plan workflow (`plan.yml`) for a `pull_request` event whose head
   commit is the pull request's last one, run in this repository (a fork's run is never trusted: our plan
   job does not run for forks);
2. the artifact of that name uploaded by that run, and only that run.

Apply still never trusts the file: it re-plans and compares (ci/verify.py).
https://docs.github.com/rest/actions/workflow-runs#list-workflow-runs-for-a-workflow,
https://docs.github.com/rest/actions/artifacts#list-workflow-run-artifacts
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from reconciler.errors import ReconcilerError
from reconciler.github.api import GitHub

PLAN_FILE_IN_ARTIFACT = "plan.json"
# The plan workflow's file (.github/workflows/plan.yml): only its runs' artifacts are reviewed plans.
DEFAULT_PLAN_WORKFLOW = "plan.yml"


def artifact_name(number: int) -> str:
    """What the plan workflow uploads the PR's plan as (see .github/workflows/plan.yml)."""
    return f"bedrock-gitops-plan-pr-{number}"


def plan_run(github: GitHub, pull: dict[str, Any], workflow: str = DEFAULT_PLAN_WORKFLOW) -> dict[str, Any]:
    """The newest successful run of the plan workflow for the pull request's last head commit."""
    number, head = int(pull["number"]), str(pull["head"]["sha"])
    runs = [
        run
        for run in github.workflow_runs(workflow, event="pull_request", head_sha=head, status="success")
        if run.get("head_sha") == head
        and run.get("conclusion") == "success"
        and (run.get("head_repository") or {}).get("full_name") == github.repository
    ]
    if not runs:
        raise ReconcilerError(
            f"no successful run of {workflow} for the last commit {head[:12]} of #{number}: the reviewed "
            "plan is unknown (the plan workflow failed, was skipped, still runs, or ran for another commit); "
            "nothing was applied. Re-run the plan workflow on the pull request, review, then re-run apply"
        )
    return max(runs, key=lambda run: (str(run.get("created_at", "")), int(run["id"])))


def fetch_reviewed_plan(
    github: GitHub, pull: dict[str, Any], destination: Path, workflow: str = DEFAULT_PLAN_WORKFLOW
) -> Path:
    """The plan artifact of `plan_run`, written to destination."""
    number = int(pull["number"])
    run = plan_run(github, pull, workflow)
    where = f"run {run['id']} of {workflow}" + (f" ({run['html_url']})" if run.get("html_url") else "")
    artifacts = [
        a for a in github.run_artifacts(int(run["id"]), artifact_name(number)) if not a.get("expired")
    ]
    if not artifacts:
        raise ReconcilerError(
            f"no plan artifact '{artifact_name(number)}' in {where}, the plan of #{number}'s last commit: "
            "it expired or was not uploaded; nothing was applied. Re-run the plan workflow on the pull "
            "request, review, then re-run apply"
        )
    newest = max(artifacts, key=lambda a: (str(a.get("created_at", "")), int(a["id"])))
    archive = github.download(str(newest["archive_download_url"]))
    try:
        with zipfile.ZipFile(io.BytesIO(archive)) as bundle:
            data = bundle.read(PLAN_FILE_IN_ARTIFACT)
    except (zipfile.BadZipFile, KeyError) as error:
        raise ReconcilerError(
            f"artifact {newest['id']} of {where} holds no {PLAN_FILE_IN_ARTIFACT}: {error}"
        ) from None
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.write_bytes(data)
    print(f"Reviewed plan of #{number}: artifact {newest['id']} of {where}.")
    return destination
