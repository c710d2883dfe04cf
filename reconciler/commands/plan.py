"""`plan`: compare the manifests with live AWS state and show (or save) the changes."""

from __future__ import annotations

import argparse
import json
import sys

from reconciler.core.planfile import plan_to_json, save_plan
from reconciler.core.render import render_plan
from reconciler.core.verification import planned_verification
from reconciler.errors import ReconcilerError
from reconciler.pipeline import make_plan, sandbox_requested

EXIT_CHANGES = 2
EXIT_BLOCKED = 1


def run(args: argparse.Namespace) -> int:
    if (args.shard is not None or args.merge) and args.environments:
        raise ReconcilerError(
            "--environment makes a partial plan, --shard/--merge split the whole estate: use one or the other"
        )
    if args.shard is not None:
        return _run_shard(args)
    if args.merge:
        from reconciler.sharding import merge_plan

        result = merge_plan(
            args.root,
            args.merge,
            sandbox=sandbox_requested(args.sandbox),
            prune=args.prune,
            max_workers=args.max_workers,
        )
    else:
        result = make_plan(
            args.root,
            sandbox=sandbox_requested(args.sandbox),
            prune=args.prune,
            max_workers=args.max_workers,
            environments=tuple(args.environments),
        )
    plan = result.plan
    if args.json:
        print(json.dumps(plan_to_json(plan), indent=2, sort_keys=True))
    else:
        print(render_plan(plan, color=args.color))
        checks = planned_verification(result.manifests, (action.address for action in plan.actions))
        if checks:
            print("\n" + "\n".join(checks))
    if plan.blocked:
        # Printed above with the plan; a blocked plan is not saved, so it cannot be applied.
        print(
            "\nThe plan breaks a policy or preflight check (see the errors above)"
            + (f"; it was not saved to {args.out}." if args.out else "."),
            file=sys.stderr,
        )
        if args.stats:
            print_call_counts(result.call_counts)
        return EXIT_BLOCKED
    if args.out:
        save_plan(plan, args.out)
        print(
            f"\nSaved the plan to {args.out}. Inspect it with: bedrock-gitops show {args.out}",
            file=sys.stderr if args.json else sys.stdout,
        )
    if args.stats:
        print_call_counts(result.call_counts)
    if args.detailed_exitcode and plan.has_drift:  # undeclared managed resources are drift too
        return EXIT_CHANGES
    return 0


def print_call_counts(counts: dict[str, int]) -> None:
    width = max((len(name) for name in counts), default=10)
    print("\nAWS API calls:", file=sys.stderr)
    for name, count in sorted(counts.items()):
        print(f"  {name:<{width}}  {count}", file=sys.stderr)
    print(f"  {'total':<{width}}  {sum(counts.values())}", file=sys.stderr)


def _run_shard(args: argparse.Namespace) -> int:
    """`plan --shard K/N -out FILE`: read the shard's accounts and save the reads (no plan: a plan needs
    every shard's reads, `plan --merge`)."""
    from reconciler.core.shards import save_shard
    from reconciler.sharding import read_shard

    if args.out is None:
        raise ReconcilerError(
            f"plan --shard {args.shard} saves what it reads for `plan --merge`: add -out FILE, e.g. "
            f"-out shard-{args.shard.index}.json"
        )
    if args.json or args.detailed_exitcode:
        raise ReconcilerError(
            "plan --shard makes no plan (a plan needs every shard's reads): --json and -detailed-exitcode "
            "belong to `plan --merge`"
        )
    read = read_shard(
        args.root, args.shard, sandbox=sandbox_requested(args.sandbox), max_workers=args.max_workers
    )
    save_shard(read, args.out)
    calls = sum(read.call_counts.values())
    print(
        f"Shard {args.shard}: read {len(read.live.scopes)} account-Region(s) of {len(read.accounts)} "
        f"account(s) with {calls} AWS call(s); saved to {args.out}.\n"
        "Plan the estate from every shard's file with: bedrock-gitops plan --merge SHARD_FILE..."
    )
    if args.stats:
        print_call_counts(dict(read.call_counts))
    return 0
