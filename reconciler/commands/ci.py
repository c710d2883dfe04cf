"""`ci plan-pr|fork-notice|apply-merged|covered-prs|drift|open-pr`: the steps of the GitHub Actions workflows
(.github/workflows/); each reads its context from the Actions environment (GITHUB_*)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from reconciler.ci.actions_env import ActionsRun
from reconciler.pipeline import sandbox_requested


def run(args: argparse.Namespace) -> int:
    actions = ActionsRun.from_environment()
    sandbox = sandbox_requested(args.sandbox)
    if args.step == "plan-pr":
        from reconciler.ci.steps import plan_pull_request

        return plan_pull_request(
            actions, args.root, args.out or Path("plan.json"), sandbox=sandbox, shard_files=args.merge
        )
    if args.step == "fork-notice":
        from reconciler.ci.steps import fork_notice

        return fork_notice(actions)
    if args.step == "drift":
        from reconciler.ci.steps import drift

        return drift(actions, args.root, args.out or Path("drift-plan.json"), sandbox=sandbox)
    if args.step == "open-pr":
        return _open_pr(actions, args)
    if args.step == "covered-prs":
        return _covered_prs(actions, args)
    from reconciler.ci.merge import apply_merged

    return apply_merged(
        actions,
        args.root,
        args.workdir,
        sandbox=sandbox,
        lock_timeout=args.lock_timeout,
        apply_workflow=args.apply_workflow,
        plan_workflow=args.plan_workflow,
        branch=args.branch,
        shard=args.shard,
        live_from=args.live_from,
    )


# CI's apply waits for a lock held by another apply (or by a crashed one, until its lease runs out).
APPLY_MERGED_LOCK_TIMEOUT = 300.0


def add_parser(commands: Any, add_common: Any) -> None:
    from reconciler.cli import shard_argument

    parser = commands.add_parser("ci", help="steps of the GitHub Actions workflows (plan, apply, drift)")
    add_common(parser)
    parser.set_defaults(run=run)
    parser.add_argument(
        "step",
        choices=["plan-pr", "fork-notice", "apply-merged", "covered-prs", "drift", "open-pr"],
        help="plan-pr: plan + sticky PR comment; fork-notice: explain why a fork PR gets no plan; "
        "apply-merged: apply what every PR merged since the last successful apply was reviewed to do and "
        "comment on each; covered-prs: list those PRs (read-only); drift: open/update/close the drift issue; "
        "open-pr: commit what `versions discover`/`promote --record FILE` changed and open or update its PR",
    )
    parser.add_argument("--sandbox", action="store_true", help="use the embedded simulated AWS estate")
    parser.add_argument("-out", "--out", dest="out", type=Path, metavar="FILE", help="where to save the plan")
    parser.add_argument(
        "--merge",
        nargs="+",
        type=Path,
        metavar="SHARD_FILE",
        help="plan-pr: plan from the shards' reads (`plan --shard K/N -out FILE`, one file per shard)",
    )
    parser.add_argument(
        "--workdir", type=Path, default=Path(".bedrock-gitops"), metavar="DIR", help="apply-merged's files"
    )
    parser.add_argument(
        "--lock-timeout",
        type=float,
        default=APPLY_MERGED_LOCK_TIMEOUT,
        metavar="SECONDS",
        help="apply-merged: wait up to SECONDS for an apply that holds the lock (default "
        f"{APPLY_MERGED_LOCK_TIMEOUT:.0f}; a crashed apply's lease runs out within 10 minutes)",
    )
    parser.add_argument(
        "--record",
        type=Path,
        default=Path(".bedrock-gitops/change.json"),
        metavar="FILE",
        help="open-pr: the change record written by `versions discover --record` or `promote --record`",
    )
    parser.add_argument(
        "--shard",
        type=shard_argument,
        metavar="K/N",
        help="apply-merged: apply only shard K of N's part of the reviewed plan (apply --shard)",
    )
    parser.add_argument(
        "--live-from",
        type=Path,
        metavar="DIR",
        help="apply-merged --shard: the shards' reads (`plan --shard K/N -out FILE`) made for this apply",
    )
    parser.add_argument("--base", default="main", metavar="BRANCH", help="open-pr: the branch to merge into")
    parser.add_argument(
        "--branch", default="main", metavar="BRANCH", help="apply-merged, covered-prs: the applied branch"
    )
    parser.add_argument(
        "--apply-workflow",
        default="apply.yml",
        metavar="FILE",
        help="apply-merged, covered-prs: the apply workflow's file name; its newest successful run on "
        "--branch marks the last applied commit (default apply.yml)",
    )
    parser.add_argument(
        "--plan-workflow",
        default="plan.yml",
        metavar="FILE",
        help="apply-merged: the plan workflow's file name; a reviewed plan is the artifact of its newest "
        "successful run for the PR's last commit, never an artifact found by name alone (default plan.yml)",
    )


def _covered_prs(actions: ActionsRun, args: argparse.Namespace) -> int:
    from reconciler.ci.covered import coverage

    covered = coverage(actions.github(), actions.sha, workflow=args.apply_workflow, branch=args.branch)
    lines = [f"#{p['number']} {p.get('title', '')} (merged {p.get('merged_at')})" for p in covered.pulls]
    print(f"Covered: {covered.note}.")
    print("\n".join(lines))
    actions.write_summary(f"This apply covers: {covered.note}.")
    return 0


def _open_pr(actions: ActionsRun, args: argparse.Namespace) -> int:
    if not args.record.exists():
        print(f"No change record at {args.record}: nothing was discovered or promoted, no pull request.")
        return 0
    from reconciler.ci.open_pr import open_pull_request

    opened = open_pull_request(actions, args.root, args.record, args.base)
    verb = "Opened" if opened.created else "Updated"
    print(f"{verb} pull request #{opened.number} {opened.url}".rstrip())
    actions.write_summary(f"{verb} pull request #{opened.number}: {opened.url}")
    return 0
