"""Discovery's fan-out and all-or-nothing error rule, on moto's RAM (which implements GetResourceShares).

Failures are injected per Region from a `before-send` hook on the clients' events, the same hook point the
sandbox uses, so real boto3 clients parse real error responses.
"""

from __future__ import annotations

import gc
import json
import threading
import time
from collections.abc import Iterator
from functools import partial
from typing import Any, NamedTuple

import boto3
import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from moto import mock_aws

from reconciler.aws.clients import AwsClients
from reconciler.aws.discovery import AwsReadError, ScopeFailure, discover, read_tags, run_all
from reconciler.aws.limits import MAX_CALLS_PER_SCOPE
from reconciler.collector import BATCH_GEN0_THRESHOLD
from reconciler.core.live import Scope
from reconciler.errors import AwsAccessError

DEV, STAGING = "111122223333", "444455556666"
ROLES = {account: f"arn:aws:iam::{account}:role/BedrockGitOpsReconciler" for account in (DEV, STAGING)}


class ScopeRead(NamedTuple):  # the shape of reconciler.core.scopes.ScopeRead
    scope: Scope
    role_arn: str
    bedrock: bool
    shares: bool
    invitations: bool


def shares_only(account: str, region: str) -> tuple[Scope, ScopeRead]:
    scope = Scope(account, region)
    return scope, ScopeRead(scope, ROLES[account], bedrock=False, shares=True, invitations=False)


@pytest.fixture
def base_session() -> Iterator[boto3.Session]:
    with mock_aws():
        yield boto3.Session(
            aws_access_key_id="AKIABASEEXAMPLE", aws_secret_access_key="secret", region_name="us-east-1"
        )


class _RawBody:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: object) -> Iterator[bytes]:
        yield self._body


def fail_in(clients: AwsClients, region: str, code: str, message: str, status: int) -> None:
    def answer(request: AWSPreparedRequest, **_: Any) -> AWSResponse | None:
        if f".{region}." not in (request.url or ""):
            return None
        body = json.dumps({"message": message}).encode()
        return AWSResponse(request.url, status, {"x-amzn-ErrorType": code}, _RawBody(body))

    # Every assumed-role account in a Region shares one client: hooking it as DEV hooks them all.
    clients.ram(DEV, region).meta.events.register("before-send.ram.GetResourceShares", answer)


def test_every_scope_is_read_and_empty_ones_are_kept(base_session: boto3.Session) -> None:
    reads = dict([shares_only(DEV, "us-east-1"), shares_only(STAGING, "eu-west-1")])
    clients = AwsClients(base_session, ROLES)

    live = discover(clients, reads)

    assert set(live.scopes) == set(reads)
    assert live.scope(STAGING, "eu-west-1").shares == ()
    assert clients.call_counts() == {"ram.GetResourceShares": 2, "sts.AssumeRole": 2}


def test_failures_in_several_scopes_make_one_error_naming_them_all(base_session: boto3.Session) -> None:
    clients = AwsClients(base_session, ROLES)
    fail_in(clients, "eu-west-1", "AccessDeniedException", "not authorized to perform ram:Get", 403)
    fail_in(clients, "ap-southeast-2", "UnknownResourceException", "no such thing", 400)
    reads = dict(
        [
            shares_only(DEV, "us-east-1"),
            shares_only(STAGING, "eu-west-1"),
            shares_only(DEV, "ap-southeast-2"),
        ]
    )

    with pytest.raises(AwsReadError) as raised:
        discover(clients, reads)

    assert raised.value.failures == (
        ScopeFailure(DEV, "ap-southeast-2", "GetResourceShares: UnknownResourceException: no such thing"),
        ScopeFailure(
            STAGING,
            "eu-west-1",
            "GetResourceShares: AccessDeniedException: not authorized to perform ram:Get",
        ),
    )
    assert str(raised.value).splitlines() == [
        "AWS could not be read in 2 places:",
        f"  account {DEV}, Region ap-southeast-2: GetResourceShares: UnknownResourceException: no such thing",
        f"  account {STAGING}, Region eu-west-1: GetResourceShares: AccessDeniedException: "
        "not authorized to perform ram:Get",
    ]
    # The healthy scope was read too: nothing was cancelled half-way.
    assert clients.call_counts()["ram.GetResourceShares"] == 3


def test_a_single_failure_reads_like_any_access_error(base_session: boto3.Session) -> None:
    clients = AwsClients(base_session, ROLES)
    fail_in(clients, "eu-west-1", "AccessDeniedException", "denied", 403)
    reads = dict([shares_only(DEV, "us-east-1"), shares_only(STAGING, "eu-west-1")])

    with pytest.raises(AwsAccessError) as raised:
        discover(clients, reads)

    assert str(raised.value) == (
        f"account {STAGING}, Region eu-west-1: GetResourceShares: AccessDeniedException: denied"
    )


def test_an_account_whose_role_cannot_be_assumed_is_reported_in_each_of_its_regions(
    base_session: boto3.Session,
) -> None:
    reads = dict(
        [shares_only(DEV, "us-east-1"), shares_only(STAGING, "us-east-1"), shares_only(STAGING, "eu-west-1")]
    )
    clients = AwsClients(base_session, {DEV: ROLES[DEV]})  # no role for staging

    with pytest.raises(AwsReadError) as raised:
        discover(clients, reads)

    assert [(f.account, f.region) for f in raised.value.failures] == [
        (STAGING, "eu-west-1"),
        (STAGING, "us-east-1"),
    ]
    assert all("no role configured" in f.message for f in raised.value.failures)


def test_a_bug_is_not_dressed_up_as_an_aws_error(base_session: boto3.Session) -> None:
    def malformed(**kwargs: Any) -> None:
        kwargs["parsed"]["resourceShares"] = [{"no": "arn"}]

    clients = AwsClients(base_session, ROLES)
    clients.ram(DEV, "us-east-1").meta.events.register("after-call.ram.GetResourceShares", malformed)
    reads = dict([shares_only(DEV, "us-east-1")])

    with pytest.raises(KeyError):
        discover(clients, reads)


def test_nothing_to_read_reads_nothing(base_session: boto3.Session) -> None:
    clients = AwsClients(base_session, ROLES)

    assert discover(clients, {}).scopes == {}
    assert clients.call_counts() == {}


def _tagged_model(clients: AwsClients, account: str, region: str, name: str, tags: dict[str, str]) -> str:
    bedrock = clients.bedrock(account, region)
    bedrock.create_model_customization_job(
        jobName=f"{name}-job",
        customModelName=name,
        roleArn=f"arn:aws:iam::{account}:role/BedrockCustomization",
        baseModelIdentifier="amazon.titan-text-express-v1",
        trainingDataConfig={"s3Uri": "s3://training/data.jsonl"},
        outputDataConfig={"s3Uri": "s3://training/output/"},
        hyperParameters={},
        customModelTags=[{"key": key, "value": value} for key, value in tags.items()],
    )
    return bedrock.get_custom_model(modelIdentifier=name)["modelArn"]


def test_read_tags_reads_each_arn_once_in_its_own_scope(base_session: boto3.Session) -> None:
    clients = AwsClients(base_session, ROLES)
    dev_model = _tagged_model(clients, DEV, "us-east-1", "dev-model", {"team": "a"})
    staging_model = _tagged_model(clients, STAGING, "eu-west-1", "staging-model", {"team": "b", "x": ""})
    before = clients.call_counts().get("bedrock.ListTagsForResource", 0)

    tags = read_tags(
        clients,
        {
            Scope(DEV, "us-east-1"): [dev_model, dev_model],
            Scope(STAGING, "eu-west-1"): [staging_model],
        },
    )

    assert tags == {dev_model: {"team": "a"}, staging_model: {"team": "b", "x": ""}}
    assert clients.call_counts()["bedrock.ListTagsForResource"] - before == 2


def test_read_tags_fails_as_a_whole_naming_the_scope(base_session: boto3.Session) -> None:
    clients = AwsClients(base_session, ROLES)
    dev_model = _tagged_model(clients, DEV, "us-east-1", "dev-model", {"team": "a"})
    missing = f"arn:aws:bedrock:eu-west-1:{STAGING}:custom-model/gone"

    with pytest.raises(AwsReadError) as raised:
        read_tags(clients, {Scope(DEV, "us-east-1"): [dev_model], Scope(STAGING, "eu-west-1"): [missing]})

    [failure] = raised.value.failures
    assert (failure.account, failure.region) == (STAGING, "eu-west-1")
    assert failure.message.startswith(f"{missing}: ListTagsForResource: ResourceNotFoundException")


def test_calls_in_one_account_region_stay_bounded_whatever_the_workers() -> None:
    """Counted, not timed: the most tasks of one scope running at once."""
    running: dict[Scope, int] = {}
    peak: dict[Scope, int] = {}
    lock = threading.Lock()

    def task(scope: Scope, index: int) -> int:
        with lock:
            running[scope] = running.get(scope, 0) + 1
            peak[scope] = max(peak.get(scope, 0), running[scope])
        time.sleep(0.02)  # long enough for the other workers to start theirs, were they allowed to
        with lock:
            running[scope] -= 1
        return index

    scopes = [Scope(DEV, "us-east-1"), Scope(STAGING, "eu-west-1")]
    tasks = {(scope, i): partial(task, scope, i) for scope in scopes for i in range(12)}

    results = run_all(tasks, scope_of=lambda key: key[0], max_workers=32)

    assert results == {key: key[1] for key in tasks}
    assert set(peak) == set(scopes)
    assert max(peak.values()) <= MAX_CALLS_PER_SCOPE


def test_a_fan_out_collects_garbage_less_often_and_restores_the_thresholds_after() -> None:
    """A nested fan-out leaves the setting to the outer one, which restores the process's own when it ends."""
    before = gc.get_threshold()
    seen: dict[str, int] = {}

    def inner() -> None:
        seen["inner"] = gc.get_threshold()[0]

    def outer() -> None:
        run_all({"inner": inner}, scope_of=lambda _: Scope(DEV, "us-east-1"), max_workers=2)
        seen["outer, after the inner fan-out"] = gc.get_threshold()[0]

    run_all({"outer": outer}, scope_of=lambda _: Scope(DEV, "us-east-1"), max_workers=2)

    assert seen == {
        "inner": max(before[0], BATCH_GEN0_THRESHOLD),
        "outer, after the inner fan-out": max(before[0], BATCH_GEN0_THRESHOLD),
    }
    assert gc.get_threshold() == before
