"""`apply [PLANFILE]`: make AWS match the manifests, under the estate's lock.

With PLANFILE, applies exactly that saved plan (no prompt) and refuses it if it is stale. Without, plans
afresh, shows the plan and asks for confirmation unless --auto-approve.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

from reconciler.applying import ApplyRequest, apply
from reconciler.aws.executor import DEFAULT_POLL_SECONDS, ExecutionOptions
from reconciler.commands.confirm import answered_yes
from reconciler.commands.plan import print_call_counts
from reconciler.core.apply_report import render_report
from reconciler.core.plan import Plan
from reconciler.core.render import render_plan
from reconciler.errors import ReconcilerError
from reconciler.pipeline import sandbox_requested
from reconciler.progress import LineProgress, TerminalProgress

# In the sandbox, time runs faster (see `sandbox set time_scale=...`): look more often.
SANDBOX_POLL_SECONDS = 0.5


def run(args: argparse.Namespace) -> int:
    sandbox = sandbox_requested(args.sandbox)
    poll = args.poll_seconds or (SANDBOX_POLL_SECONDS if sandbox else DEFAULT_POLL_SECONDS)
    request = ApplyRequest(
        root=args.root,
        sandbox=sandbox,
        planfile=args.planfile,
        prune=args.prune,
        report_path=args.report,
        options=ExecutionOptions(
            max_workers=args.max_workers, poll_seconds=poll, timeout_seconds=args.timeout
        ),
        lock_reason=args.lock_reason or "",
        lock_timeout=getattr(args, "lock_timeout", None) or 0.0,
        environments=tuple(args.environments),
        shard=getattr(args, "shard", None),
        live_from=getattr(args, "live_from", None),
    )
    if request.live_from is not None and request.shard is None:
        raise ReconcilerError("--live-from DIR goes with --shard K/N (the other shards' reads)")
    interactive = sys.stdout.isatty() and not args.no_color
    progress = TerminalProgress() if interactive else LineProgress()
    with (
        _terminate_as_interrupt(),
        progress if isinstance(progress, TerminalProgress) else nullcontext(),
    ):
        result = apply(
            request,
            confirm=lambda plan: _confirm(plan, args),
            progress=progress,
            announce=lambda message: print(message, file=sys.stderr),
        )
    if result.report is None:
        if not result.plan.has_changes:
            print(render_plan(result.plan, color=args.color))
            return 0
        return 1  # declined at the prompt: nothing was applied (like Terraform's "Apply cancelled")
    print()
    print(render_report(result.report))
    if result.report_path is not None:
        print(f"The apply report is in {result.report_path}.")
    if args.stats:
        calls: dict[str, int] = {}
        for step in result.report.steps:
            for call in step.calls:
                key = f"{call.service}.{call.operation}"
                calls[key] = calls.get(key, 0) + 1
        print_call_counts(calls)
    if result.report.interrupted:
        return 130
    return 0 if result.report.succeeded else 1


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (a cancelled CI job, `kill`, a container stop) stops the apply like Ctrl-C: no new steps,
    a report, the lock freed; by default it would kill the process and leave the lock for a whole lease."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(_signal: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _confirm(plan: Plan, args: argparse.Namespace) -> bool:
    print(render_plan(plan, color=args.color))
    if args.auto_approve:
        return True
    if not sys.stdin.isatty():
        raise ReconcilerError(
            "apply needs a confirmation and there is no terminal to ask on. Review the plan above, then "
            "run `bedrock-gitops apply --auto-approve`, or save it with `plan -out FILE` and apply the file."
        )
    print("\nDo you want to perform these actions?\n  Only 'yes' will be accepted to approve.\n")
    if not answered_yes("  Enter a value: "):
        print("\nApply cancelled.")
        return False
    return True
