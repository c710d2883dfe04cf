"""Apply on merge: find every pull request merged since the last successful apply (ci/covered.py: GitHub
cancels pending runs, so one run may answer for several merges), fetch the plan each one's reviewers saw
(the artifact of the plan workflow's run for the PR's last head commit: ci/reviewed.py), compare them
with a fresh plan of the branch, apply only when it is what was reviewed, and post the result on each of
those pull requests."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

from markupsafe import Markup

from reconciler.ci.actions_env import ActionsRun
from reconciler.ci.covered import Coverage, changes_manifests, coverage, covered_line
from reconciler.ci.reviewed import DEFAULT_PLAN_WORKFLOW, fetch_reviewed_plan
from reconciler.ci.verify import Verdict, verify_covered
from reconciler.comment.context import build_context
from reconciler.comment.markdown import (
    GITHUB_COMMENT_LIMIT,
    marker,
    render_comment_parts,
    render_template,
)
from reconciler.core.plan import Plan
from reconciler.core.planfile import load_plan, save_plan
from reconciler.core.shards import Shard
from reconciler.errors import ReconcilerError
from reconciler.github.api import GitHub
from reconciler.github.sticky import upsert_comment
from reconciler.pipeline import make_plan
from reconciler.sharding import merge_plan

APPLY_KIND = "apply"
# The apply workflow's file: its newest successful run marks the last applied commit (ci/covered.py).
DEFAULT_APPLY_WORKFLOW = "apply.yml"
# (plan file, report file) -> exit code; the default runs `bedrock-gitops apply PLANFILE --report FILE`.
Applier = Callable[[Path, Path], int]


def run_apply_command(
    root: Path,
    *,
    sandbox: bool,
    lock_timeout: float = 0.0,
    shard: Shard | None = None,
    live_from: Path | None = None,
) -> Applier:
    def apply(plan_file: Path, report: Path) -> int:
        from reconciler.cli import main

        argv = ["apply", str(plan_file), "--report", str(report), "--root", str(root)]
        argv += ["--lock-timeout", str(lock_timeout)]
        if shard is not None:
            argv += ["--shard", str(shard)]
            if live_from is not None:
                argv += ["--live-from", str(live_from)]
        return main([*argv, "--sandbox"] if sandbox else argv)

    return apply


def apply_kind(shard: Shard | None) -> str:
    """The sticky comment an apply posts: one per shard, so that the shards do not overwrite each other."""
    return APPLY_KIND if shard is None else f"{APPLY_KIND}-shard-{shard.index}-of-{shard.count}"


def _post(github: GitHub, numbers: Sequence[int], body: str, kind: str = APPLY_KIND) -> None:
    for number in numbers:
        upsert_comment(github, number, kind, [f"{marker(kind)}\n{body}"])


def _reviewed_plans(
    github: GitHub, covered: Coverage, workdir: Path, plan_workflow: str
) -> tuple[list[tuple[int, Plan]], Path | None]:
    """(number, reviewed plan) of every covered pull request that changed the manifests, in merge order,
    and the file of the last one; a pull request without manifest changes has no plan to review."""
    reviewed: list[tuple[int, Plan]] = []
    last: Path | None = None
    for pull in covered.pulls:
        number = int(pull["number"])
        try:
            last = fetch_reviewed_plan(
                github, pull, workdir / f"reviewed-plan-pr-{number}.json", plan_workflow
            )
        except ReconcilerError:
            if changes_manifests(github, number):
                raise
            print(f"#{number} changed no manifests: it has no plan to review.")
            continue
        reviewed.append((number, load_plan(last)))
    return reviewed, last


def apply_merged(
    run: ActionsRun,
    root: Path,
    workdir: Path,
    *,
    sandbox: bool,
    applier: Applier | None = None,
    lock_timeout: float = 0.0,
    apply_workflow: str = DEFAULT_APPLY_WORKFLOW,
    plan_workflow: str = DEFAULT_PLAN_WORKFLOW,
    branch: str = "main",
    shard: Shard | None = None,
    live_from: Path | None = None,
) -> int:
    """Apply what every pull request merged since the last successful apply was reviewed to do (see
    ci/covered.py), and post the result on each of them; with `shard`, only that shard's part of it (its
    own sticky comment), the fresh plan made from the shards' reads in `live_from` when given."""
    kind = apply_kind(shard)
    github = run.github()
    covered = coverage(github, run.sha, workflow=apply_workflow, branch=branch)
    numbers = covered.numbers
    print(f"This apply covers {', '.join(f'#{n}' for n in numbers)}: {covered.note}.")
    note = covered_line(covered.pulls) if len(numbers) > 1 else ""
    try:
        reviewed, reviewed_file = _reviewed_plans(github, covered, workdir, plan_workflow)
    except ReconcilerError as error:
        verdict = Verdict("stop", str(error).rstrip("."))
        _post(github, numbers, _stopped(verdict, run, note), kind)
        raise
    if shard is not None and live_from is not None:
        fresh = merge_plan(root, sorted(live_from.glob("*.json")), sandbox=sandbox)
    else:
        fresh = make_plan(root, sandbox=sandbox)
    fresh_file = workdir / "fresh-plan.json"
    save_plan(fresh.plan, fresh_file)
    verdict = verify_covered(reviewed, fresh.plan)
    print(
        f"Reviewed plan(s) of {', '.join(f'#{n}' for n, _ in reviewed) or 'none'}: {verdict.decision}: "
        f"{verdict.reason}."
    )
    if verdict.decision == "stop":
        body = _stopped(verdict, run, note)
        _post(github, numbers, body, kind)
        run.write_summary(body)
        for line in verdict.differences:
            print(f"  {line}")
        return 1
    if verdict.decision == "apply-reviewed" and reviewed_file is not None:
        plan_file, plan = reviewed_file, reviewed[-1][1]
    else:
        plan_file, plan = fresh_file, fresh.plan
    report_file = workdir / "apply-report.json"
    apply_command = applier or run_apply_command(
        root, sandbox=sandbox, lock_timeout=lock_timeout, shard=shard, live_from=live_from
    )
    code = apply_command(plan_file, report_file)
    report = json.loads(report_file.read_text(encoding="utf-8")) if report_file.is_file() else None
    context = build_context(
        plan,
        title="bedrock-gitops apply"
        + (f" (shard {shard})" if shard is not None else "")
        + (" complete" if code == 0 else " failed"),
        manifests=fresh.manifests,
        report=report,
        run_url=run.run_url,
        commit=run.sha,
    )
    extra = f"> {note}\n\n" if note else ""
    parts = render_comment_parts(context, kind=kind, limit=GITHUB_COMMENT_LIMIT - len(extra))
    if extra:
        head, _, rest = parts[0].partition("\n")
        parts[0] = f"{head}\n{extra}{rest}"
    for number in numbers:
        upsert_comment(github, number, kind, parts)
    run.write_summary(parts[0])
    return code


def _stopped(verdict: Verdict, run: ActionsRun, note: str = "") -> str:
    return render_template(
        "apply_stopped.md.j2",
        reason=verdict.reason,
        differences=verdict.differences,
        run_url=run.run_url,
        commit=run.sha,
        covered=Markup(note),  # our own text of pull request numbers (ci/covered.py), linked by GitHub
    )
