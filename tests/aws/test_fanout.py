"""Discovery split over processes gives the same live state, call counts and errors as in one process."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.aws.clients import AwsClients, ClientsOrigin
from reconciler.aws.discovery import AwsReadError, discover
from reconciler.aws.fanout import discover_in_processes, processes_for, split_by_account
from reconciler.core.scopes import scopes_to_read
from reconciler.manifests.load import load_manifests
from reconciler.sandbox.estate import SandboxEstate

REPO = Path(__file__).resolve().parents[2]


def test_processes_only_for_large_estates() -> None:
    assert processes_for(5, cpus=8) == 1
    assert processes_for(250, cpus=8) == 2
    assert processes_for(5000, cpus=2) == 2
    assert processes_for(5000, cpus=64) == 4


def test_scopes_are_split_evenly_and_an_account_stays_in_one_part() -> None:
    reads = scopes_to_read(load_manifests(REPO))
    parts = split_by_account(reads, 2)
    assert sorted(scope for part in parts for scope in part) == sorted(reads)
    accounts = [{scope.account for scope in part} for part in parts]
    assert not accounts[0] & accounts[1]


def test_the_same_live_state_as_one_process(sandbox_dir: Path) -> None:
    reads = scopes_to_read(load_manifests(REPO))
    roles = {read.scope.account: read.role_arn for read in reads.values()}
    with SandboxEstate.open(sandbox_dir) as estate:
        clients = AwsClients(estate.session(), roles)
        expected = discover(clients, reads)
        expected_counts = clients.call_counts()
    origin = ClientsOrigin(str(sandbox_dir), roles)
    live, counts = discover_in_processes(origin, reads, processes=2, max_workers=4)
    assert live.fingerprint() == expected.fingerprint()
    assert counts == expected_counts


def test_an_unreachable_account_is_named(sandbox_dir: Path) -> None:
    with SandboxEstate.open(sandbox_dir) as estate:
        estate.update_settings(unreachable_accounts=["777788889999"])
    reads = scopes_to_read(load_manifests(REPO))
    roles = {read.scope.account: read.role_arn for read in reads.values()}
    with pytest.raises(AwsReadError) as failed:
        discover_in_processes(ClientsOrigin(str(sandbox_dir), roles), reads, processes=2, max_workers=4)
    assert {failure.account for failure in failed.value.failures} == {"777788889999"}
    assert {failure.region for failure in failed.value.failures} == {"us-east-1"}
