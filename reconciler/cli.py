"""`bedrock-gitops` command line: argument parsing and error reporting; the work is in reconciler.commands."""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
import traceback
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from reconciler import __version__
from reconciler.aws.limits import DEFAULT_MAX_WORKERS, MAX_CALLS_PER_SCOPE
from reconciler.core.shards import Shard, parse_shard
from reconciler.errors import ManifestErrors, ReconcilerError

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2


def positive_int(text: str) -> int:
    """argparse type: a whole number of at least 1 (a worker count)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number; give 1 or more") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is too small; give 1 or more")
    return value


def positive_seconds(text: str) -> float:
    """argparse type: a finite number of seconds greater than 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds, e.g. 30 or 0.5") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"'{text}' is not a usable number of seconds; give more than 0")
    return value


def non_negative_seconds(text: str) -> float:
    """argparse type: a finite number of seconds, 0 or more."""
    if text.strip() in ("0", "0.0"):
        return 0.0
    return positive_seconds(text)


def shard_argument(text: str) -> Shard:
    """argparse type: K/N, shard K of N (1-based)."""
    try:
        return parse_shard(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--root",
        "-C",
        type=Path,
        default=Path(),
        metavar="DIR",
        help="repository holding models/ and environments/ (default: the current directory)",
    )
    parser.add_argument("--no-color", action="store_true", help="plain text output (also: NO_COLOR=1)")
    parser.add_argument("--debug", action="store_true", help="print a traceback on internal errors")


def _add_aws(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="use the embedded simulated AWS estate instead of real AWS (also: BEDROCK_GITOPS_SANDBOX=1)",
    )
    parser.add_argument(
        "--max-workers",
        type=positive_int,
        default=DEFAULT_MAX_WORKERS,
        metavar="N",
        help="AWS calls in flight at once: account/Region pairs read in parallel (at most "
        f"{MAX_CALLS_PER_SCOPE} calls in one), apply steps calling AWS (waiting for a job takes no slot) "
        f"(default {DEFAULT_MAX_WORKERS})",
    )
    parser.add_argument("--stats", action="store_true", help="print API calls per operation to stderr")


def _add_prune_and_scope(parser: argparse.ArgumentParser, prune_help: str) -> None:
    parser.add_argument("--prune", action="store_true", help=prune_help)
    parser.add_argument(
        "--environment",
        "-e",
        dest="environments",
        action="append",
        default=[],
        metavar="NAME",
        help="plan only this environment (repeatable): a PARTIAL plan, like Terraform's -target; other "
        "environments are neither read nor changed (e.g. while one account is unreachable)",
    )


def _add_plan_sharding(plan: argparse.ArgumentParser) -> None:
    sharding = plan.add_mutually_exclusive_group()
    sharding.add_argument(
        "--shard",
        type=shard_argument,
        metavar="K/N",
        help="read only the accounts of shard K of N (stable hash of the account id) and save what was "
        "read with -out FILE, for `plan --merge`",
    )
    sharding.add_argument(
        "--merge",
        nargs="+",
        type=Path,
        metavar="SHARD_FILE",
        help="plan the whole estate from the files of `plan --shard K/N -out FILE`, one per shard",
    )


def _add_apply_sharding(apply: argparse.ArgumentParser) -> None:
    apply.add_argument(
        "--shard",
        type=shard_argument,
        metavar="K/N",
        help="apply only the saved plan's actions in the accounts of shard K of N, under the shard's own "
        "lock (needs PLANFILE, a plan made with `plan --merge`)",
    )
    apply.add_argument(
        "--live-from",
        type=Path,
        metavar="DIR",
        help="with --shard: the other shards' reads (their `plan --shard` files in DIR) instead of reading "
        "their accounts again; this shard's accounts are always read afresh under its lock",
    )


def _add_force_unlock(commands: Any) -> None:
    unlock = commands.add_parser("force-unlock", help="break the apply lock of an apply that died")
    _add_common(unlock)
    unlock.add_argument("lock_id", metavar="LOCK_ID", help="the id printed by the apply that holds the lock")
    unlock.add_argument(
        "--sandbox",
        action="store_true",
        help="the embedded simulated estate (also: BEDROCK_GITOPS_SANDBOX=1)",
    )
    unlock.add_argument("-force", "--force", dest="force", action="store_true", help="do not ask")
    unlock.add_argument("--shard", type=shard_argument, metavar="K/N", help="the lock of `apply --shard K/N`")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bedrock-gitops",
        description="GitOps for Amazon Bedrock custom models: validate manifests, plan and apply.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    validate = commands.add_parser("validate", help="check the manifests (no AWS access)")
    _add_common(validate)

    plan = commands.add_parser("plan", help="show what apply would change in AWS")
    _add_common(plan)
    _add_aws(plan)
    plan.add_argument("-out", "--out", dest="out", type=Path, metavar="FILE", help="save the plan to FILE")
    plan.add_argument("--json", action="store_true", help="print the plan as JSON (schemas/plan.schema.json)")
    plan.add_argument(
        "-detailed-exitcode",
        "--detailed-exitcode",
        dest="detailed_exitcode",
        action="store_true",
        help="exit 0 when there are no changes, 2 when there are, 1 on error",
    )
    _add_prune_and_scope(plan, "plan removal of managed resources no longer declared")
    _add_plan_sharding(plan)

    apply = commands.add_parser(
        "apply", help="make AWS match the manifests (a saved plan, or a fresh one after confirmation)"
    )
    _add_common(apply)
    _add_aws(apply)
    apply.add_argument(
        "planfile", nargs="?", type=Path, metavar="PLANFILE", help="a plan saved with `plan -out` (no prompt)"
    )
    apply.add_argument(
        "-auto-approve", "--auto-approve", dest="auto_approve", action="store_true", help="do not ask"
    )
    _add_prune_and_scope(apply, "also remove managed resources no longer declared")
    apply.add_argument(
        "--timeout",
        type=positive_seconds,
        metavar="SECONDS",
        help="stop waiting after SECONDS, leaving jobs running (exit 1; the next apply resumes them)",
    )
    apply.add_argument(
        "--report",
        type=Path,
        metavar="FILE",
        help="write the JSON apply report here (default: PLANFILE.report.json)",
    )
    _add_apply_sharding(apply)
    apply.add_argument("--lock-reason", metavar="TEXT", help="why this apply runs, shown to anyone it blocks")
    apply.add_argument(
        "--lock-timeout",
        type=non_negative_seconds,
        default=0.0,
        metavar="SECONDS",
        help="wait up to SECONDS while another apply holds the lock, saying so every 10 s (default 0: "
        "fail at once; CI's apply-merged waits 300)",
    )
    apply.add_argument(
        "--poll-seconds",
        type=positive_seconds,
        metavar="SECONDS",
        help="seconds between status checks of copy jobs and capacity (default 30; 0.5 in the sandbox)",
    )

    _add_force_unlock(commands)

    show = commands.add_parser("show", help="show a saved plan")
    _add_common(show)
    show.add_argument("planfile", type=Path, metavar="FILE")
    show.add_argument("--json", action="store_true", help="print the plan as JSON")

    sandbox = commands.add_parser("sandbox", help="inspect, configure or reset the embedded simulated estate")
    _add_common(sandbox)
    sandbox.add_argument(
        "action", choices=["status", "reset", "set", "advance", "fine-tune", "delete"], help="what to do"
    )
    sandbox.add_argument(
        "settings",
        nargs="*",
        metavar="ARG",
        help="with set: KEY=VALUE settings to change; with advance: SECONDS; with fine-tune: MODEL; "
        "with delete: a plan ADDRESS",
    )
    sandbox.add_argument("--json", action="store_true", help="with status: print the estate as JSON")
    sandbox.add_argument(  # accepted like every other command's, so copied commands just work
        "--sandbox", action="store_true", help="(always the sandbox; accepted for uniformity)"
    )
    # GitOps commands (issue 6) register themselves and their `run`.
    from reconciler.commands import ci, comment, importer, policy, schemas

    policy.add_parser(commands, _add_common)  # issue 5: least-privilege IAM policy per account
    comment.add_parser(commands, _add_common)
    ci.add_parser(commands, _add_common)
    importer.add_parser(commands, _add_common, _add_aws)
    from reconciler.commands import verify

    verify.add_parser(commands, _add_common, _add_aws)  # issue 16: smoke checks through live capacity
    # Promotion pipeline (issue 15): discover versions, promote, status.
    from reconciler.commands import promote, status, versions

    versions.add_parser(commands, _add_common, _add_aws)
    promote.add_parser(commands, _add_common, _add_aws)
    status.add_parser(commands, _add_common, _add_aws)
    schemas.add_parser(commands, _add_common)  # issue 11: editor validation in manifests repositories
    return parser


_SANDBOX_COMMANDS = re.compile(
    r"bedrock-gitops (plan|apply|force-unlock)\b(?! --sandbox)( -[-\w]+)*( [^\s`,;)]*[^\s`,;).])?"
)


def _in_same_mode(message: str, args: argparse.Namespace) -> str:
    """The commands an error suggests, as they must be typed here: with --sandbox when this run used it, so
    that copying the advice never sends a command to real AWS by surprise."""
    from reconciler.pipeline import sandbox_requested

    if not sandbox_requested(bool(getattr(args, "sandbox", False))):
        return message
    return _SANDBOX_COMMANDS.sub(lambda m: f"{m.group(0)} --sandbox", message)


@cache
def _parser() -> argparse.ArgumentParser:
    """One parser per process: building it (~150 arguments) costs more than a failing `validate`, and the
    test suite and the fuzz run call main() thousands of times. Parsing leaves it unchanged."""
    return build_parser()


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as stop:  # --help, --version, or a usage error (argparse's 2 would read as "changes")
        return EXIT_OK if stop.code in (None, 0) else EXIT_ERROR
    if getattr(args, "no_color", False) or os.environ.get("NO_COLOR"):
        args.color = False
    else:
        args.color = sys.stdout.isatty()
    try:
        return _dispatch(args)
    except ManifestErrors as errors:
        for error in errors.errors:
            print(error, file=sys.stderr)
        count = len(errors.errors)
        print(f"\n{count} error{'s' if count != 1 else ''} in the manifests.", file=sys.stderr)
        return EXIT_ERROR
    except ReconcilerError as error:
        print(f"Error: {_in_same_mode(str(error), args)}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader of our output went away (`... | head`): not a bug, stop quietly
        _silence_stdout()
        return EXIT_ERROR
    except Exception as error:  # a bug of ours: say so plainly, traceback only on request
        if args.debug:
            traceback.print_exc()
        else:
            print(
                f"Internal error: {type(error).__name__}: {error}\n"
                "This is a bug in bedrock-gitops; re-run with --debug for the traceback and report it.",
                file=sys.stderr,
            )
        return EXIT_ERROR


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's final flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (tests): nothing left to flush
        pass


def _dispatch(args: argparse.Namespace) -> int:
    if hasattr(args, "run"):
        return int(args.run(args))
    if args.command == "validate":
        from reconciler.commands import validate

        return validate.run(args)
    if args.command == "plan":
        from reconciler.commands import plan

        return plan.run(args)
    if args.command == "apply":
        from reconciler.commands import apply

        return apply.run(args)
    if args.command == "force-unlock":
        from reconciler.commands import force_unlock

        return force_unlock.run(args)
    if args.command == "show":
        from reconciler.commands import show

        return show.run(args)
    from reconciler.commands import sandbox

    return sandbox.run(args)
