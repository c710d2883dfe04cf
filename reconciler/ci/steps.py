"""CI steps for pull requests and the drift schedule: plan + sticky comment, the fork notice, drift issue."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from reconciler.ci.actions_env import ActionsRun
from reconciler.comment.context import build_context
from reconciler.comment.markdown import marker, render_comment_parts, render_template
from reconciler.comment.verification import verification_views
from reconciler.core.planfile import save_plan
from reconciler.core.verification import CapacityVerification
from reconciler.errors import ManifestErrors, ReconcilerError
from reconciler.github.sticky import close_drift_issue, upsert_comment, upsert_drift_issue
from reconciler.pipeline import make_plan
from reconciler.sharding import merge_plan
from reconciler.verifying import verify_estate

PLAN_KIND = "plan"
ISSUE_LIMIT = 65_536


def _require_pr(run: ActionsRun) -> int:
    if run.pr_number is None:
        raise ReconcilerError(
            f"this step needs a pull_request event (got '{run.event_name or 'none'}'); "
            "run it from a workflow triggered by pull_request"
        )
    return run.pr_number


def plan_pull_request(
    run: ActionsRun,
    root: Path,
    out: Path,
    *,
    sandbox: bool,
    shard_files: Sequence[Path] | None = None,
) -> int:
    """Plan the PR's manifests (from the shards' reads when `shard_files` are given), save the plan to
    `out` (the workflow uploads it) and post/update the sticky plan comment. Manifest errors are posted too
    (then exit 1)."""
    number = _require_pr(run)
    github = run.github()
    head_sha = str((run.pull_request.get("head") or {}).get("sha") or run.sha)
    try:
        result = (
            merge_plan(root, shard_files, sandbox=sandbox)
            if shard_files
            else make_plan(root, sandbox=sandbox)
        )
    except ManifestErrors as errors:
        body = render_template("manifest_errors.md.j2", errors=errors.errors, run_url=run.run_url)
        upsert_comment(github, number, PLAN_KIND, [f"{marker(PLAN_KIND)}\n{body}"])
        run.write_summary(body)
        raise
    if not result.plan.blocked:  # like `plan -out`: a plan that breaks a policy is never saved
        save_plan(result.plan, out)
    context = build_context(result.plan, manifests=result.manifests, run_url=run.run_url, commit=head_sha)
    parts = render_comment_parts(context, kind=PLAN_KIND)
    outcome = upsert_comment(github, number, PLAN_KIND, parts)
    run.write_summary(parts[0])
    print(
        f"Plan comment on #{number}: {len(parts)} part(s); created {len(outcome.created)}, "
        f"updated {len(outcome.updated)}, unchanged {len(outcome.unchanged)}, deleted {len(outcome.deleted)}."
    )
    if result.plan.blocked:
        print("The plan breaks a policy (see the comment): not saved, this check fails.", file=sys.stderr)
        return 1
    return 0


def fork_notice(run: ActionsRun) -> int:
    """For a PR from a fork: say in the sticky plan comment why there is no plan. Reads only the event
    payload (runs from the base branch's code, never the fork's)."""
    number = _require_pr(run)
    if not run.is_fork:
        print(f"#{number} is not from a fork: the plan workflow comments on it.")
        return 0
    head = (run.pull_request.get("head") or {}).get("repo") or {}
    body = render_template(
        "fork_notice.md.j2", head_repository=head.get("full_name") or "a deleted fork", number=number
    )
    upsert_comment(run.github(), number, PLAN_KIND, [f"{marker(PLAN_KIND)}\n{body}"])
    print(f"Posted the fork notice on #{number}.")
    return 0


def drift(run: ActionsRun, root: Path, out: Path, *, sandbox: bool) -> int:
    """Plan the default branch; on changes open or update the one drift issue, otherwise close it.
    Exit 0 either way (the issue is the signal), 1 when planning fails."""
    result = make_plan(root, sandbox=sandbox)
    # Capacity that stopped answering its smoke checks (spec.verify) is drift too (reconciler/verifying.py).
    failed = [v for v in verify_estate(root, sandbox=sandbox).results if not v.passed]
    github = run.github()
    if not result.plan.has_drift and failed:
        body = _verification_section(failed)
        title = f"Drift: verification failed on {len(failed)} capacit{'ies' if len(failed) != 1 else 'y'}"
        outcome = upsert_drift_issue(github, title, body)
        print(f"Drift detected (verification failed): {outcome.action} issue #{outcome.number}.")
        run.write_summary(body)
        return 0
    if not result.plan.has_drift:
        outcome = close_drift_issue(
            github, f"AWS matches the manifests again ([drift check]({run.run_url or 'this run'})); closing."
        )
        print("No drift." + (f" Closed issue #{outcome.number}." if outcome.number else ""))
        run.write_summary("No drift: AWS matches the manifests.")
        return 0
    save_plan(result.plan, out)
    context = build_context(
        result.plan,
        title="Drift: AWS no longer matches the manifests",
        manifests=result.manifests,
        run_url=run.run_url,
        commit=run.sha,
    )
    body = render_comment_parts(context, kind="drift", limit=ISSUE_LIMIT - 200, max_parts=1)[0]
    body = body.split("\n", 1)[1]  # the issue carries its own marker
    if failed:
        body = f"{_verification_section(failed)}\n{body}"
    counts = result.plan.summary()
    title = (
        f"Drift: {counts['add']} to add, {counts['change']} to change, {counts['destroy']} to destroy "
        "to make AWS match the manifests"
        + (
            f"; {counts['pending_prune']} managed resources no longer declared"
            if counts["pending_prune"]
            else ""
        )
    )
    outcome = upsert_drift_issue(github, title, body)
    print(f"Drift detected: {outcome.action} issue #{outcome.number}.")
    run.write_summary(body)
    return 0


def _verification_section(failed: list[CapacityVerification]) -> str:
    views = verification_views(v.to_json() for v in failed)
    return render_template("verification.md.j2", verifications=views) + (
        "Run `bedrock-gitops verify` to check again; nothing is rolled back or changed by the check.\n"
    )
