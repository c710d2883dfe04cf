"""`plan`: compare the manifests with live AWS state and show (or save) the changes."""

from __future__ import annotations

import argparse
import json
import sys

from reconciler.core.planfile import plan_to_json, save_plan
from reconciler.core.render import render_plan
from reconciler.core.verification import planned_verification
from reconciler.pipeline import make_plan, sandbox_requested

EXIT_CHANGES = 2
EXIT_BLOCKED = 1


def run(args: argparse.Namespace) -> int:
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
