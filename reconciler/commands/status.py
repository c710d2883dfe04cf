"""`status`: per model, the version each environment runs and the versions eligible to enter it next
(promoted upstream, the environment's policies satisfied), as text, JSON or Markdown with Mermaid."""

from __future__ import annotations

import argparse
import json
from typing import Any

from reconciler.pipeline import sandbox_requested
from reconciler.promoting import promotion_status
from reconciler.promotion.status import render_markdown, render_text, to_json


def run(args: argparse.Namespace) -> int:
    found = promotion_status(
        args.root,
        sandbox=sandbox_requested(args.sandbox),
        offline=args.offline,
        models=args.model,
        max_workers=args.max_workers,
    )
    if args.json:
        print(json.dumps(to_json(found), indent=2))
    elif args.markdown:
        print(render_markdown(found), end="")
    else:
        print(render_text(found))
    return 0


def add_parser(commands: Any, add_common: Any, add_aws: Any) -> None:
    parser = commands.add_parser(
        "status", help="per model: the version of each environment and the versions eligible next"
    )
    add_common(parser)
    add_aws(parser)
    parser.set_defaults(run=run)
    parser.add_argument("--model", action="append", default=[], metavar="NAME", help="only this model")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print it as JSON")
    output.add_argument("--markdown", action="store_true", help="print Markdown with a Mermaid stage graph")
    parser.add_argument(
        "--offline",
        action="store_true",
        help="no AWS access: judge the manifest policies only (not convergence or soak time)",
    )
