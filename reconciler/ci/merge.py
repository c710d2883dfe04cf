"""Apply on merge: find the pull request the pushed commit merged, fetch the plan its reviewers saw (the
plan workflow's artifact for the PR's last head commit), compare it with a fresh plan, apply only when it
is still what was reviewed, and post the result back to the pull request."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reconciler.ci.actions_env import ActionsRun
from reconciler.ci.verify import Verdict, verify
from reconciler.comment.context import build_context
from reconciler.comment.markdown import marker, render_comment_parts, render_template
from reconciler.core.planfile import load_plan, save_plan
from reconciler.errors import ReconcilerError
from reconciler.github.api import GitHub
from reconciler.github.sticky import upsert_comment
from reconciler.pipeline import make_plan

APPLY_KIND = "apply"
PLAN_FILE_IN_ARTIFACT = "plan.json"
# (plan file, report file) -> exit code; the default runs `bedrock-gitops apply PLANFILE --report FILE`.
Applier = Callable[[Path, Path], int]


def artifact_name(number: int) -> str:
    """What the plan workflow uploads the PR's plan as (see .github/workflows/plan.yml)."""
    return f"bedrock-gitops-plan-pr-{number}"


def merged_pull_request(github: GitHub, sha: str) -> dict[str, Any]:
    pulls = [p for p in github.pulls_for_commit(sha) if p.get("merged_at")]
    if not pulls:
        raise ReconcilerError(
            f"commit {sha[:12]} was not merged through a pull request, so no plan was reviewed; nothing "
            "was applied. Changes reach AWS through reviewed pull requests (or run apply by hand)"
        )
    return pulls[0]


def fetch_reviewed_plan(github: GitHub, pull: dict[str, Any], destination: Path) -> Path:
    """The plan the PR's last head commit got (newest artifact of that commit), written to destination."""
    number, head = int(pull["number"]), str(pull["head"]["sha"])
    candidates = [
        a
        for a in github.artifacts(artifact_name(number))
        if not a.get("expired") and (a.get("workflow_run") or {}).get("head_sha") == head
    ]
    if not candidates:
        raise ReconcilerError(
            f"no plan artifact '{artifact_name(number)}' for the last commit {head[:12]} of #{number}: the "
            "reviewed plan is unknown (the plan workflow failed, was skipped, or the artifact expired); "
            "nothing was applied. Re-run the plan workflow on the pull request, review, then re-run apply"
        )
    newest = max(candidates, key=lambda a: (str(a.get("created_at", "")), int(a["id"])))
    archive = github.download(str(newest["archive_download_url"]))
    try:
        with zipfile.ZipFile(io.BytesIO(archive)) as bundle:
            data = bundle.read(PLAN_FILE_IN_ARTIFACT)
    except (zipfile.BadZipFile, KeyError) as error:
        raise ReconcilerError(f"artifact {newest['id']} holds no {PLAN_FILE_IN_ARTIFACT}: {error}") from None
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.write_bytes(data)
    return destination


def run_apply_command(root: Path, *, sandbox: bool, lock_timeout: float = 0.0) -> Applier:
    def apply(plan_file: Path, report: Path) -> int:
        from reconciler.cli import main

        argv = ["apply", str(plan_file), "--report", str(report), "--root", str(root)]
        argv += ["--lock-timeout", str(lock_timeout)]
        return main([*argv, "--sandbox"] if sandbox else argv)

    return apply


def _post(github: GitHub, number: int, body: str) -> None:
    upsert_comment(github, number, APPLY_KIND, [f"{marker(APPLY_KIND)}\n{body}"])


def apply_merged(
    run: ActionsRun,
    root: Path,
    workdir: Path,
    *,
    sandbox: bool,
    applier: Applier | None = None,
    lock_timeout: float = 0.0,
) -> int:
    github = run.github()
    pull = merged_pull_request(github, run.sha)
    number = int(pull["number"])
    try:
        reviewed_file = fetch_reviewed_plan(github, pull, workdir / "reviewed-plan.json")
        reviewed = load_plan(reviewed_file)
    except ReconcilerError as error:
        verdict = Verdict("stop", str(error).rstrip("."))
        _post(github, number, _stopped(verdict, run))
        raise
    fresh = make_plan(root, sandbox=sandbox)
    fresh_file = workdir / "fresh-plan.json"
    save_plan(fresh.plan, fresh_file)
    verdict = verify(reviewed, fresh.plan)
    print(f"Reviewed plan of #{number}: {verdict.decision}: {verdict.reason}.")
    if verdict.decision == "stop":
        body = _stopped(verdict, run)
        _post(github, number, body)
        run.write_summary(body)
        for line in verdict.differences:
            print(f"  {line}")
        return 1
    plan_file, plan = (
        (reviewed_file, reviewed) if verdict.decision == "apply-reviewed" else (fresh_file, fresh.plan)
    )
    report_file = workdir / "apply-report.json"
    code = (applier or run_apply_command(root, sandbox=sandbox, lock_timeout=lock_timeout))(
        plan_file, report_file
    )
    report = json.loads(report_file.read_text(encoding="utf-8")) if report_file.is_file() else None
    context = build_context(
        plan,
        title="bedrock-gitops apply" + (" complete" if code == 0 else " failed"),
        manifests=fresh.manifests,
        report=report,
        run_url=run.run_url,
        commit=run.sha,
    )
    parts = render_comment_parts(context, kind=APPLY_KIND)
    upsert_comment(github, number, APPLY_KIND, parts)
    run.write_summary(parts[0])
    return code


def _stopped(verdict: Verdict, run: ActionsRun) -> str:
    return render_template(
        "apply_stopped.md.j2",
        reason=verdict.reason,
        differences=verdict.differences,
        run_url=run.run_url,
        commit=run.sha,
    )
