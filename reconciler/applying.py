"""The I/O shell of `apply`: lock the estate, re-read live state, refuse a stale plan, execute, report.

Order of a run (a crash between any two steps leaves nothing the next run cannot finish):
  1. load and validate the manifests (no AWS call for invalid input);
  2. take the estate's lock (one apply at a time);
  3. read live state and plan afresh, with `prune` from the manifests and the command line (never from a
     file), re-running the policies and preflight checks; with a saved plan, refuse it if any part of it
     the fresh plan decides differs (a file edited by hand: core/saved_plan.py names the part), if the
     manifests changed or the requests it would send are no longer the fresh plan's (core/staleness.py);
     refuse any policy or preflight error of the fresh plan; otherwise apply exactly the saved plan;
  4. execute the actions in dependency order; 5. smoke-verify the capacity made ready (spec.verify) and
     tag what passes; 6. write the report (with the saved plan's digest); release the lock.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.aws.clients import AwsClients
from reconciler.aws.executor import ExecutionOptions, Progress, execute
from reconciler.aws.lock import LockInfo, estate_lock
from reconciler.aws.steps import Clock
from reconciler.aws.verify import tag_verified, verify_capacity
from reconciler.core.apply_report import ApplyReport, report_path_problem, write_report
from reconciler.core.plan import Action, Plan
from reconciler.core.plan_scope import resolve_scope
from reconciler.core.planfile import load_plan
from reconciler.core.saved_plan import mismatches, plan_digest
from reconciler.core.shards import Shard, shard_part
from reconciler.core.staleness import request_changes
from reconciler.errors import ReconcilerError
from reconciler.manifests.load import load_manifests
from reconciler.manifests.model import Manifests
from reconciler.pipeline import aws_clients, plan_with

MAX_CHANGES_SHOWN = 5
REPLAN_HINT = "Make a new plan with `bedrock-gitops plan -out FILE`, review it, then apply that file."


class StalePlanError(ReconcilerError):
    pass


class TamperedPlanError(ReconcilerError):
    """The saved plan says something a fresh plan of the same manifests and live state does not."""


@dataclass(frozen=True)
class ApplyRequest:
    root: Path
    sandbox: bool
    planfile: Path | None = None
    prune: bool = False
    report_path: Path | None = None
    options: ExecutionOptions = field(default_factory=ExecutionOptions)
    lock_reason: str = ""
    sandbox_dir: Path | None = None
    # Seconds to wait while another apply holds the lock (0: fail at once, like Terraform's default).
    lock_timeout: float = 0.0
    # `--environment NAME...`: a partial apply (core/plan_scope.py). With a saved plan, its own scope is
    # used, and names given here must be the same.
    environments: tuple[str, ...] = ()
    # Apply only this shard's part of the saved plan, under the shard's lock (reconciler/core/shards.py).
    shard: Shard | None = None
    # With `shard`: a folder of the other shards' reads (`plan --shard K/N -out FILE`), used instead of
    # reading their accounts again.
    live_from: Path | None = None


@dataclass(frozen=True)
class ApplyResult:
    plan: Plan
    # None when nothing was executed (no changes, or the user declined).
    report: ApplyReport | None
    report_path: Path | None


def apply(
    request: ApplyRequest,
    *,
    confirm: Callable[[Plan], bool],
    progress: Progress | None = None,
    clock: Clock | None = None,
    before_step: Callable[[Action], None] | None = None,
    announce: Callable[[str], None] = lambda _message: None,
) -> ApplyResult:
    """Apply the saved plan `request.planfile`, or a fresh plan once `confirm(plan)` says yes."""
    saved = load_plan(request.planfile) if request.planfile is not None else None
    if request.shard is not None and saved is None:
        raise ReconcilerError(
            f"apply --shard {request.shard} applies its part of a reviewed plan of the whole estate: make "
            "one with `bedrock-gitops plan -out FILE --merge SHARD_FILE...`, then run "
            f"`bedrock-gitops apply --shard {request.shard} FILE`"
        )
    report_path = request.report_path or (
        request.planfile.with_name(request.planfile.name + ".report.json") if request.planfile else None
    )
    problem = report_path_problem(report_path) if report_path is not None else None
    if problem:  # found out before anything is applied, not after
        raise ReconcilerError(problem)
    manifests = load_manifests(request.root)
    if saved is not None and saved.manifests_fingerprint != manifests.fingerprint:
        raise StalePlanError(
            f"the saved plan {request.planfile} is stale: the manifests changed since it was made "
            f"({saved.created_at}). Nothing was applied. {REPLAN_HINT}"
        )
    # From the command line; plan_with adds the manifests' own `prune: true`. A plan file has no say.
    prune = request.prune
    # A saved plan is re-planned with exactly its scope (a scope that names no environment, or that the
    # file's actions overstep, is refused by the tamper checks); names given here must be the same.
    scope = (
        saved.scope
        if saved is not None and not request.environments
        else resolve_scope(manifests, request.environments)
    )
    if request.shard is not None and scope:
        raise ReconcilerError(
            f"apply --shard {request.shard} applies its part of a plan of the whole estate, and this one is "
            "partial (--environment): apply a partial plan without --shard"
        )
    with aws_clients(
        manifests, request.root, sandbox=request.sandbox, sandbox_dir=request.sandbox_dir
    ) as clients:
        lock = estate_lock(clients, manifests.backend, request.shard)
        settings = lock.settings
        reason = request.lock_reason or (
            f"apply {request.planfile}" if request.planfile is not None else "apply"
        )

        def waiting(holder: LockInfo, left: float) -> None:
            announce(f"Waiting for the apply lock ({left:.0f} s left of --lock-timeout): {holder.describe()}")

        with lock.held(reason, timeout=request.lock_timeout, on_wait=waiting) as held:
            announce(
                f"Acquired the apply lock {held.lock_id} (table {settings.table}, {settings.region}); "
                "it is released when apply ends."
            )
            if request.shard is not None:
                _check_estate_unlocked(clients, manifests)
            fresh = _fresh_plan(manifests, clients, request, prune, scope)
            plan = fresh if saved is None else _checked_saved_plan(saved, fresh, manifests, request.planfile)
            _check_accounts(plan, manifests)
            _check_findings(fresh)  # the fresh verdict: a file's own findings are never trusted
            if request.shard is not None:
                plan = _shard_part(plan, request.shard, announce)
            if not plan.has_changes or (saved is None and not confirm(plan)):
                return ApplyResult(plan, None, None)
            report = execute(
                plan,
                clients,
                options=request.options,
                clock=clock,
                progress=progress,
                lock_id=held.lock_id,
                before_step=before_step,
            )
            report = _verified(report, clients, manifests, request, announce)
    if saved is not None:
        report = dataclasses.replace(report, plan_digest=plan_digest(saved))
    if report_path is not None:
        write_report(report, report_path)
    return ApplyResult(plan, report, report_path)


def _fresh_plan(
    manifests: Manifests, clients: AwsClients, request: ApplyRequest, prune: bool, scope: tuple[str, ...]
) -> Plan:
    workers = request.options.max_workers
    if request.shard is None or request.live_from is None:
        return plan_with(manifests, clients, prune=prune, max_workers=workers, scope=scope).plan
    from reconciler.sharding import load_shards, merged_plan_with, read_shard_with

    others = [
        read
        for read in load_shards(manifests, sorted(request.live_from.glob("*.json")))
        if read.shard.index != request.shard.index
    ]
    # This shard's accounts are read again under its lock: they are the ones it writes.
    own = read_shard_with(manifests, clients, request.shard, max_workers=workers)
    return merged_plan_with(manifests, clients, [own, *others], prune=prune, max_workers=workers).plan


def _check_estate_unlocked(clients: AwsClients, manifests: Manifests) -> None:
    """A shard's apply never runs beside an apply of the whole estate (which takes the estate's lock)."""
    holder = estate_lock(clients, manifests.backend).current()
    if holder is not None:
        raise ReconcilerError(
            f"an apply of the whole estate holds the estate's lock ({holder.describe()}); this shard's apply "
            "did nothing. Run it again once that apply has finished"
        )


def _shard_part(plan: Plan, shard: Shard, announce: Callable[[str], None]) -> Plan:
    part = shard_part(plan, shard)
    announce(
        f"Shard {shard}: {len(part.plan.actions)} of the plan's {len(plan.actions)} action(s) are in its "
        "accounts."
    )
    if part.deferred:
        listed = "\n".join(
            f"  {action.address}: waits for {part.waits_for[action.address]} (another shard)"
            for action in part.deferred[:MAX_CHANGES_SHOWN]
        )
        more = len(part.deferred) - MAX_CHANGES_SHOWN
        announce(
            f"Deferred {len(part.deferred)} action(s) that need another shard's actions first; plan and "
            f"apply again once every shard has applied:\n{listed}"
            + (f"\n  ... and {more} more" if more > 0 else "")
        )
    return part.plan


def _checked_saved_plan(saved: Plan, fresh: Plan, manifests: Manifests, planfile: Path | None) -> Plan:
    """The saved plan, unless a part of it the fresh plan decides differs (core/saved_plan.py), or the
    requests it would send are no longer what a fresh plan sends (a job it waits for moving on is not a
    change; see core/staleness.py)."""
    environment_accounts = {env.name: env.account_id for env in manifests.environments}
    found = mismatches(saved, fresh, _declared_accounts(manifests), environment_accounts)
    if found:
        listed = "\n".join(f"  {line}" for line in found)
        raise TamperedPlanError(
            f"the saved plan {planfile} does not match a fresh plan of the same manifests and AWS state; "
            f"refusing it ({len(found)} part(s) differ: a file edited by hand, or a --prune or "
            f"--environment that differs between plan and apply). Nothing was applied.\n"
            f"{listed}\n{REPLAN_HINT}"
        )
    changes = request_changes(saved, fresh)
    if changes:
        shown = "\n".join(f"  {change}" for change in changes[:MAX_CHANGES_SHOWN])
        more = len(changes) - MAX_CHANGES_SHOWN
        if more > 0:
            shown += f"\n  ... and {more} more"
        raise StalePlanError(
            f"the saved plan {planfile} is stale: the requests it would send changed since it was made "
            f"({saved.created_at}):\n{shown}\nNothing was applied. {REPLAN_HINT}"
        )
    return saved


def _declared_accounts(manifests: Manifests) -> frozenset[str]:
    declared = {env.account_id for env in manifests.environments}
    declared |= {model.source_account for model in manifests.models}
    return frozenset(declared)


def _check_findings(plan: Plan) -> None:
    errors = [finding for finding in plan.findings if finding.severity == "error"]
    if errors:
        listed = "\n".join(f"  {f.where}: [{f.rule}] {f.message}\n    How to fix: {f.fix}" for f in errors)
        raise ReconcilerError(
            f"the plan breaks {len(errors)} polic{'ies' if len(errors) != 1 else 'y'} or preflight "
            f"check{'s' if len(errors) != 1 else ''}; nothing was applied:\n{listed}"
        )


def _check_accounts(plan: Plan, manifests: Manifests) -> None:
    """Never a call into an account the manifests do not declare, even from a hand-edited plan file."""
    strangers = sorted({action.account for action in plan.actions} - _declared_accounts(manifests))
    if strangers:
        raise ReconcilerError(
            f"the plan acts in account(s) {', '.join(strangers)}, which no manifest declares; refusing. "
            + REPLAN_HINT
        )


def _verified(
    report: ApplyReport,
    clients: AwsClients,
    manifests: Manifests,
    request: ApplyRequest,
    announce: Callable[[str], None],
) -> ApplyReport:
    """Smoke-verify the capacity this apply made ready (spec.verify), tag what passes, record every check.
    A failure fails the apply (report.succeeded); nothing is rolled back."""
    if report.interrupted:
        return report
    ready = {
        step.address
        for step in report.steps
        if step.outcome == "done" and step.address.endswith(("/throughput", "/deployment"))
    }
    if not ready:
        return report
    declared = {env.name for env in manifests.environments if env.verify}
    if not any(address.split("/", 1)[0] in declared for address in ready):
        return report
    announce("Verifying the capacity made ready (spec.verify)...")
    run = verify_capacity(clients, manifests, addresses=ready, max_workers=request.options.max_workers)
    return dataclasses.replace(report, verifications=tag_verified(clients, run).results)
