"""`promote MODEL VERSION --to ENV [--regions R1,R2]`: pin a version in an environment (editing only the
lines that change in environments/ENV.yaml), after checking it against the environment's policies and
plan; print that environment's plan, or refuse with each broken rule and its fix."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from reconciler.core.render import render_findings, render_plan
from reconciler.manifests.load import load_manifests
from reconciler.pipeline import sandbox_requested
from reconciler.promoting import promote
from reconciler.promotion.change import (
    ChangedVersion,
    ChangeRecord,
    promote_branch,
    summary_titles,
    write_record,
)
from reconciler.promotion.promote import Promotion, regions_argument

EXIT_REFUSED = 1


def run(args: argparse.Namespace) -> int:
    promotion = Promotion(args.model, args.version, args.to, regions_argument(args.regions))
    outcome = promote(
        args.root,
        promotion,
        sandbox=sandbox_requested(args.sandbox),
        with_plan=not args.no_plan,
        dry_run=args.dry_run,
        max_workers=args.max_workers,
    )
    what = f"{promotion.model} {promotion.version} to {promotion.environment}"
    if outcome.refusals:
        print(f"Refused: promoting {what} breaks {promotion.environment}'s rules:", file=sys.stderr)
        for line in render_findings(outcome.refusals, color=args.color):
            print(line, file=sys.stderr)
        print(f"\n{outcome.file} was not changed.", file=sys.stderr)
        return EXIT_REFUSED
    if not outcome.changed:
        print(f"{outcome.file} already pins {what}; nothing to change.")
    elif outcome.written:
        print(f"Promoted {what} in {outcome.file}.")
    else:
        print(f"Would promote {what} in {outcome.file} (dry run: not written).")
    plan_text = ""
    if outcome.plan is not None:
        plan_text = render_plan(outcome.plan, color=False)
        print(f"\nPlan for {promotion.environment}:\n")
        print(render_plan(outcome.plan, color=args.color))
    if args.record and outcome.written:
        model = load_manifests(args.root).model(promotion.model)
        version = model.version(promotion.version) if model else None
        arn, evidence = (version.model_arn, dict(version.evidence)) if version else ("", {})
        changed = (
            ChangedVersion(
                promotion.model, promotion.version, arn, evidence, promotion.environment, promotion.regions
            ),
        )
        title = summary_titles(changed, "promote")
        branch = promote_branch(promotion.model, promotion.version, promotion.environment)
        write_record(ChangeRecord("promote", title, branch, (outcome.file,), changed, plan_text), args.record)
    return 0


def add_parser(commands: Any, add_common: Any, add_aws: Any) -> None:
    parser = commands.add_parser(
        "promote", help="pin a model version in an environment (policies checked, plan printed)"
    )
    add_common(parser)
    add_aws(parser)
    parser.set_defaults(run=run)
    parser.add_argument("model", metavar="MODEL", help="the model's name (models/MODEL.yaml)")
    parser.add_argument("version", metavar="VERSION", help="one of the model's versions, e.g. v3")
    parser.add_argument("--to", required=True, metavar="ENV", help="the environment to pin it in")
    parser.add_argument(
        "--regions",
        metavar="R1,R2",
        help="serve it only in these of the environment's Regions (sets the pin's regions)",
    )
    parser.add_argument("--dry-run", action="store_true", help="check and plan, but do not write the file")
    parser.add_argument(
        "--no-plan", action="store_true", help="judge the manifest policies only (no AWS access, no plan)"
    )
    parser.add_argument(
        "--record", type=Path, metavar="FILE", help="write the change as JSON for `ci open-pr --record FILE`"
    )
