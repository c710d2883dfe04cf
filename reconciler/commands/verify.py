"""`verify [--environment E]`: run the environments' smoke checks (spec.verify) through their live
capacity now, and report every prompt's result; exit 1 when a capacity fails (or cannot be invoked)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from reconciler.core.verification import render_verifications
from reconciler.pipeline import sandbox_requested
from reconciler.verifying import verify_estate


def add_parser(
    commands: Any,
    add_common: Callable[[argparse.ArgumentParser], None],
    add_aws: Callable[[argparse.ArgumentParser], None],
) -> None:
    parser = commands.add_parser(
        "verify", help="run the smoke checks (spec.verify) through the live capacity now"
    )
    add_common(parser)
    add_aws(parser)
    parser.add_argument("--environment", "-e", metavar="NAME", help="only this environment's capacity")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    result = verify_estate(
        args.root,
        sandbox=sandbox_requested(args.sandbox),
        environment=args.environment,
        max_workers=args.max_workers,
    )
    if args.json:
        document = {"passed": result.passed, "verifications": [r.to_json() for r in result.results]}
        print(json.dumps(document, indent=2, sort_keys=True))
        return 0 if result.passed else 1
    if not result.results:
        where = f"environment {args.environment}" if args.environment else "no environment"
        print(f"Nothing to verify: {where} declares spec.verify for a model with capacity.")
        return 0
    print(render_verifications(result.results))
    failed = sum(1 for r in result.results if not r.passed)
    total = len(result.results)
    if failed:
        print(f"\nVerification FAILED on {failed} of {total} capacit{'ies' if total != 1 else 'y'}.")
        return 1
    print(f"\nVerification passed on all {total} capacit{'ies' if total != 1 else 'y'}.")
    return 0
