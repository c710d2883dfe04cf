"""Discovery over several processes, for estates of hundreds of account-Regions.

A plan's reads wait on the network, so threads overlap them; but each call also costs botocore a few
milliseconds of CPU (and every account-Region its own client), and one Python process runs that on one
core. Past a few hundred account-Regions the CPU, not the network, sets the pace, so the reads are split by
account over one process per core, each with its own clients and threads. Results are the same LiveState
and the same all-or-nothing errors as `discovery.discover`; the calls in flight stay within --max-workers
in total.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import boto3

from reconciler.aws.clients import AwsClients, ClientsOrigin
from reconciler.aws.discovery import (
    AwsReadError,
    ScopeFailure,
    read_scope,
    relevant_invitations_only,
    run_all,
)
from reconciler.core.live import LiveState, Scope, ScopeState
from reconciler.errors import ReconcilerError

if TYPE_CHECKING:
    from reconciler.core.scopes import ScopeRead

# Below this many account-Regions, starting processes costs more than it saves.
MIN_SCOPES_PER_PROCESS = 100
MAX_PROCESSES = 4


def processes_for(scopes: int, cpus: int | None = None) -> int:
    if cpus is None:
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cpus, MAX_PROCESSES, scopes // MIN_SCOPES_PER_PROCESS))


def split_by_account(reads: Mapping[Scope, ScopeRead], parts: int) -> list[dict[Scope, ScopeRead]]:
    """`parts` groups of about the same number of scopes; an account's scopes stay together (one
    AssumeRole per account in all)."""
    by_account: dict[str, dict[Scope, ScopeRead]] = {}
    for scope, read in sorted(reads.items()):
        by_account.setdefault(scope.account, {})[scope] = read
    groups: list[dict[Scope, ScopeRead]] = [{} for _ in range(parts)]
    for account_reads in sorted(by_account.values(), key=len, reverse=True):
        min(groups, key=len).update(account_reads)
    return [group for group in groups if group]


def discover_in_processes(
    origin: ClientsOrigin,
    reads: Mapping[Scope, ScopeRead],
    *,
    processes: int,
    max_workers: int,
    page_size: int | None = None,
) -> tuple[LiveState, dict[str, int]]:
    """The LiveState of `reads`, and the API calls made, by operation."""
    groups = split_by_account(reads, processes)
    workers = max(1, max_workers // len(groups))
    # Plain child interpreters (`python -m reconciler.aws.fanout`), not multiprocessing: that would import
    # the caller's main module again in every child, which breaks any script without a __main__ guard.
    jobs = [pickle.dumps((origin, workers, page_size, group)) for group in groups]
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        parts = list(pool.map(_run_child, jobs))
    states: dict[Scope, ScopeState] = {}
    failures: list[ScopeFailure] = []
    counts: dict[str, int] = {}
    for part_states, part_failures, part_counts in parts:
        states.update(part_states)
        failures.extend(part_failures)
        for operation, count in part_counts.items():
            counts[operation] = counts.get(operation, 0) + count
    if failures:
        raise AwsReadError(failures)
    return LiveState(relevant_invitations_only(states)), counts


_Part = tuple[dict[Scope, ScopeState], Sequence[ScopeFailure], dict[str, int]]


def _run_child(job: bytes) -> _Part:
    child = subprocess.run(
        [sys.executable, "-m", "reconciler.aws.fanout"], input=job, capture_output=True, check=False
    )
    if child.returncode != 0:
        detail = child.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no message"]
        raise ReconcilerError(f"a discovery process failed (exit {child.returncode}): {detail[0]}")
    part: _Part = pickle.loads(child.stdout)
    return part


def _discover_part(
    origin: ClientsOrigin, workers: int, page_size: int | None, reads: Mapping[Scope, ScopeRead]
) -> _Part:
    with _base_session(origin) as session:
        clients = AwsClients(session, origin.roles)
        tasks = {scope: partial(read_scope, clients, read, page_size) for scope, read in reads.items()}
        try:
            states = run_all(tasks, scope_of=lambda scope: scope, max_workers=workers)
        except AwsReadError as error:
            return {}, error.failures, clients.call_counts()
        return states, (), clients.call_counts()


@contextmanager
def _base_session(origin: ClientsOrigin) -> Iterator[boto3.Session]:
    if origin.sandbox_dir is None:
        yield boto3.Session()
        return
    from reconciler.sandbox.estate import SandboxEstate

    with SandboxEstate.open(Path(origin.sandbox_dir)) as estate:
        yield estate.session()


if __name__ == "__main__":
    origin_, workers_, page_size_, reads_ = pickle.loads(sys.stdin.buffer.read())
    sys.stdout.buffer.write(pickle.dumps(_discover_part(origin_, workers_, page_size_, reads_)))
