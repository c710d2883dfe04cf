"""`show FILE`: print a saved plan, as text or JSON."""

from __future__ import annotations

import argparse
import json

from reconciler.core.planfile import load_plan, plan_to_json
from reconciler.core.render import render_plan


def run(args: argparse.Namespace) -> int:
    plan = load_plan(args.planfile)
    if args.json:
        print(json.dumps(plan_to_json(plan), indent=2, sort_keys=True))
    else:
        print(render_plan(plan, color=args.color))
    return 0
