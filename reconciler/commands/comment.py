"""`comment PLANFILE`: a saved plan (+ an apply report) as a GitHub pull request comment in Markdown;
printed, written to a file, or posted as the PR's sticky comment (inside GitHub Actions)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from reconciler.comment.context import build_context
from reconciler.comment.markdown import GITHUB_COMMENT_LIMIT, MIN_COMMENT_LIMIT, render_comment_parts
from reconciler.core.planfile import load_plan
from reconciler.errors import ReconcilerError
from reconciler.manifests.load import load_manifests
from reconciler.manifests.model import Manifests


def _manifests(root: Path) -> Manifests | None:
    """The manifests under root, if they load; the comment then shows every flow, not just new ones."""
    try:
        return load_manifests(root)
    except ReconcilerError:
        return None


def _report(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReconcilerError(f"no apply report at {path}; apply writes one with --report FILE") from None
    except (OSError, ValueError) as error:
        raise ReconcilerError(f"{path} is not an apply report (JSON): {error}") from None
    if not isinstance(data, dict) or "steps" not in data:
        raise ReconcilerError(f"{path} is not an apply report (no 'steps'); apply writes one with --report")
    return data


def run(args: argparse.Namespace) -> int:
    plan = load_plan(args.planfile)
    context = build_context(
        plan,
        title=args.title or ("bedrock-gitops apply" if args.report else "bedrock-gitops plan"),
        manifests=_manifests(args.root),
        report=_report(args.report),
        artifact_url=args.artifact_url or "",
    )
    kind = args.kind or ("apply" if args.report else "plan")
    if args.limit < MIN_COMMENT_LIMIT:
        raise ReconcilerError(
            f"--limit {args.limit} is too small: a comment needs at least {MIN_COMMENT_LIMIT}"
        )
    parts = render_comment_parts(context, kind=kind, limit=args.limit)
    if args.post:
        from reconciler.ci.actions_env import ActionsRun
        from reconciler.github.sticky import upsert_comment

        actions = ActionsRun.from_environment()
        number = args.pr or actions.pr_number
        if number is None:
            raise ReconcilerError("which pull request? pass --pr NUMBER (or run on a pull_request event)")
        outcome = upsert_comment(actions.github(), number, kind, parts)
        print(f"Comment on #{number}: {len(parts)} part(s), comment ids {list(outcome.comment_ids)}.")
        return 0
    text = "\n".join(parts)
    if args.out:
        try:
            args.out.write_text(text, encoding="utf-8")
        except OSError as error:
            raise ReconcilerError(
                f"cannot write the comment to {args.out}: {error.strerror or error}; "
                "check that its folder exists and is writable"
            ) from None
        print(f"Wrote {len(parts)} comment part(s) to {args.out}.", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def add_parser(commands: Any, add_common: Any) -> None:
    parser = commands.add_parser("comment", help="render a saved plan as a pull request comment (Markdown)")
    add_common(parser)
    parser.set_defaults(run=run)
    parser.add_argument("planfile", type=Path, metavar="PLANFILE")
    parser.add_argument("--report", type=Path, metavar="FILE", help="an apply report to show with the plan")
    parser.add_argument("--title", help="the comment's heading")
    parser.add_argument("--kind", choices=["plan", "apply"], help="which sticky comment (default: plan)")
    parser.add_argument("--artifact-url", help="link to the full plan (shown when the comment is cut)")
    parser.add_argument(
        "--limit",
        type=int,
        default=GITHUB_COMMENT_LIMIT,
        metavar="CHARS",
        help=f"split into numbered comments of at most CHARS characters (default {GITHUB_COMMENT_LIMIT})",
    )
    parser.add_argument("-o", "--out", type=Path, metavar="FILE", help="write the Markdown to FILE")
    parser.add_argument(
        "--post", action="store_true", help="post or update the PR's sticky comment (in GitHub Actions)"
    )
    parser.add_argument("--pr", type=int, metavar="NUMBER", help="pull request number (default: the event's)")
