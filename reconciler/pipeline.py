"""The I/O shell around the pure core: manifests → desired state → live state → plan.

Everything AWS-specific is behind `AwsTarget`: the real credential chain, or the embedded sandbox.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from reconciler.aws.limits import DEFAULT_MAX_WORKERS
from reconciler.collector import fewer_collections
from reconciler.core.desired import DesiredState, desired_state
from reconciler.core.diff import compute_plan, tag_reads
from reconciler.core.findings import sort_findings
from reconciler.core.live import LiveState, Scope
from reconciler.core.plan import Plan
from reconciler.core.plan_scope import (
    judged_environments,
    resolve_scope,
    scope_accounts,
    scoped_findings,
    within,
)
from reconciler.core.scopes import ScopeRead, scopes_to_read
from reconciler.manifests.load import load_manifests
from reconciler.manifests.model import Manifests
from reconciler.policies import evaluate_policies

if TYPE_CHECKING:
    from reconciler.aws.clients import AwsClients

SANDBOX_ENV_VAR = "BEDROCK_GITOPS_SANDBOX"


def sandbox_requested(flag: bool) -> bool:
    return flag or os.environ.get(SANDBOX_ENV_VAR, "").lower() in {"1", "true", "yes"}


@dataclass(frozen=True)
class PlanResult:
    manifests: Manifests
    desired: DesiredState
    live: LiveState
    plan: Plan
    call_counts: dict[str, int]


@contextmanager
def aws_base_session(*, sandbox: bool, sandbox_dir: Path | None = None) -> Iterator[object]:
    """The base credentials' session: the sandbox's boto3 Session, or the normal AWS credential chain
    (botocore's, aws/clients.DefaultChainSession)."""
    if sandbox:
        # The client side imports botocore only (aws/clients.py); boto3 comes with the simulator.
        import reconciler.aws.clients  # noqa: F401  (imported before the simulator's start-up is timed)

        started = time.thread_time()
        from reconciler.sandbox.remote import configured_server, remote_session

        server = configured_server()
        if server is not None:  # the sandbox answers from a process of its own (sandbox/server.py)
            with remote_session(server) as session:
                yield session
            return
        from reconciler.sandbox.estate import SandboxEstate, sandbox_directory
        from reconciler.sandbox.hook import SimulatorCpu

        with SandboxEstate.open(sandbox_dir or sandbox_directory(Path())) as estate:
            # Starting the simulated AWS (importing moto, reading the state document) is CPU that real
            # AWS never costs the client: benchmarks count it on the simulator's side.
            SimulatorCpu.add(time.thread_time() - started)
            yield estate.session()
    else:
        from reconciler.aws.clients import DefaultChainSession

        yield DefaultChainSession()


def make_plan(
    root: Path,
    *,
    sandbox: bool,
    prune: bool = False,
    max_workers: int = DEFAULT_MAX_WORKERS,
    sandbox_dir: Path | None = None,
    environments: tuple[str, ...] = (),
) -> PlanResult:
    """`environments`: a partial plan of these environments only (`--environment`, core/plan_scope.py)."""

    def scope_of(manifests: Manifests) -> tuple[str, ...]:
        return resolve_scope(manifests, environments)

    run = read_only_run(root, scope_of, sandbox=sandbox, sandbox_dir=sandbox_dir)
    with run as (manifests, scope, clients):
        return plan_with(manifests, clients, prune=prune, max_workers=max_workers, scope=scope)


Prepared = TypeVar("Prepared")


@contextmanager
def read_only_run(
    root: Path, prepare: Callable[[Manifests], Prepared], *, sandbox: bool, sandbox_dir: Path | None = None
) -> Iterator[tuple[Manifests, Prepared, AwsClients]]:
    """What every plan (whole, shard, merge) runs in: the manifests under `root` and what `prepare` makes of
    them (a scope, shard files), both checked before any AWS client or sandbox exists (invalid input never
    calls AWS), then clients whose roles are assumed with the read-only session policy
    (aws/session_policy.py: a plan never writes); all at the plan's collector pace
    (reconciler/collector.py)."""
    with fewer_collections():
        manifests = load_manifests(root)
        prepared = prepare(manifests)
        with aws_clients(
            manifests, root, sandbox=sandbox, sandbox_dir=sandbox_dir, read_only=True
        ) as clients:
            yield manifests, prepared, clients


@contextmanager
def aws_clients(
    manifests: Manifests,
    root: Path,
    *,
    sandbox: bool,
    sandbox_dir: Path | None = None,
    read_only: bool = False,
    invoke: bool = False,
) -> Iterator[AwsClients]:
    """Clients for every account the manifests declare (the sandbox's, or real AWS), open for the block;
    `read_only`: roles assumed with the read-only session policy (AWS refuses every write); with `invoke`,
    the verify session policy (those reads and bedrock:InvokeModel, still no write)."""
    from reconciler.aws.clients import AwsClients
    from reconciler.aws.session_policy import READ_ONLY_SESSION_POLICY_JSON, VERIFY_SESSION_POLICY_JSON

    if sandbox and sandbox_dir is None:
        from reconciler.sandbox.estate import sandbox_directory

        sandbox_dir = sandbox_directory(root)
    with aws_base_session(sandbox=sandbox, sandbox_dir=sandbox_dir) as session:
        # Every account a plan reads: the environments' and the models' source accounts.
        roles = manifests.roles_by_account()
        backend = manifests.backend
        if backend.lock_account and backend.lock_role_arn:
            roles.setdefault(backend.lock_account, backend.lock_role_arn)
        policy = None
        if read_only:
            policy = VERIFY_SESSION_POLICY_JSON if invoke else READ_ONLY_SESSION_POLICY_JSON
        clients = AwsClients(session, roles, session_policy=policy)  # type: ignore[arg-type]
        clients.sandbox_dir = str(sandbox_dir) if sandbox else None
        yield clients


def aws_now(clients: AwsClients) -> datetime:
    """The time on AWS's side, which commitment terms are judged by: the local clock, or in the sandbox its
    simulated clock (which `sandbox advance` and time_scale move ahead of the local one)."""
    if clients.sandbox_dir is not None:
        from reconciler.sandbox.clock import SandboxClock
        from reconciler.sandbox.remote import remote_now

        served = remote_now()  # a sandbox server holds the estate in memory: asking is cheaper than reading
        if served is not None:
            return datetime.fromtimestamp(served, UTC)

        return datetime.fromtimestamp(SandboxClock(Path(clients.sandbox_dir)).now(), UTC)
    return datetime.now(UTC)


def plan_with(
    manifests: Manifests,
    clients: AwsClients,
    *,
    prune: bool = False,
    max_workers: int = DEFAULT_MAX_WORKERS,
    scope: tuple[str, ...] = (),
) -> PlanResult:
    """Read the live state the manifests need through `clients` and compute the plan; `scope`: only
    these environments (a partial plan, core/plan_scope.py), () for the whole estate."""
    # A scoped plan also reads the environments its own are promoted from: the promotion and soak rules
    # judge their state. It acts in (and reports removals of) the scope only.
    judged = judged_environments(manifests, scope)
    judged_desired = within(desired_state(manifests), manifests, judged)
    live = read_live(clients, judged_desired, scopes_to_read(manifests, judged), max_workers=max_workers)
    return plan_from_live(
        manifests,
        live,
        clients,
        prune=prune,
        max_workers=max_workers,
        scope=scope,
        judged_desired=judged_desired,
    )


def read_live(
    clients: AwsClients,
    desired: DesiredState,
    reads: Mapping[Scope, ScopeRead],
    *,
    max_workers: int = DEFAULT_MAX_WORKERS,
    every_invitation: bool = False,
) -> LiveState:
    """The scopes in `reads` and the tags the planner needs there (both depend on one scope only, so a
    shard reads exactly what the unsharded plan reads in its accounts)."""
    from reconciler.aws.discovery import discover, read_tags

    with fewer_collections():
        live = discover(clients, reads, max_workers=max_workers, every_invitation=every_invitation)
        needed = tag_reads(desired, live)
        if needed:
            live = live.with_tags(read_tags(clients, needed, max_workers=max_workers))
    return live


def plan_from_live(
    manifests: Manifests,
    live: LiveState,
    clients: AwsClients,
    *,
    prune: bool = False,
    max_workers: int = DEFAULT_MAX_WORKERS,
    scope: tuple[str, ...] = (),
    judged_desired: DesiredState | None = None,
) -> PlanResult:
    """The plan of `live` (what `plan_with` read, or every shard's reads joined), judged by the policies
    and preflight checks, which read through `clients` only what the changes touch (and AWS's clock).
    `judged_desired`: the desired state of the judged environments, when the caller has it already."""
    judged = judged_environments(manifests, scope)
    if judged_desired is None:
        judged_desired = within(desired_state(manifests), manifests, judged)
    desired = within(judged_desired, manifests, scope)
    prune = prune or any(env.prune for env in manifests.environments)
    now = aws_now(clients)

    def planned(environments: tuple[str, ...], wanted: DesiredState) -> Plan:
        # The planner makes a few objects per live record: at Python's default pace the collector's full
        # passes over a large estate cost a sixth of the diff (benchmarks/run.py, figure 3).
        with fewer_collections():
            return compute_plan(
                wanted,
                live,
                manifests_fingerprint=manifests.fingerprint,
                prune=prune,
                now=now,
                scope=scope,
                scope_accounts=scope_accounts(manifests, environments),
            )

    plan = planned(scope, desired)
    judged_plan = plan if judged == scope else planned(judged, judged_desired)
    # Policies judge the manifests and the plan (reconciler/policies), read-only preflight checks the
    # accounts (reconciler/aws/preflight.py); their findings travel in the plan.
    from reconciler.aws.preflight import run_preflight
    from reconciler.aws.soak_reads import soak_policy_findings

    findings = [
        *evaluate_policies(manifests, judged_desired, judged_plan),
        *run_preflight(clients, manifests, desired, live, plan),
        # Soak time is a policy judged on live tags and AWS's clock (reconciler/policies/soak.py).
        *soak_policy_findings(clients, manifests, judged_desired, live, judged_plan, max_workers=max_workers),
    ]
    plan = dataclasses.replace(plan, findings=sort_findings(scoped_findings(findings, scope)))
    counts = clients.call_counts()
    return PlanResult(manifests, desired, live, plan, counts)
