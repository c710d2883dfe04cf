"""AwsClients against moto's STS: one AssumeRole per account, base-account shortcut, errors, counting."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from moto import mock_aws

from reconciler.aws.acting_as import AccountCredentials, UnboundCallError
from reconciler.aws.clients import AwsClients, DefaultChainSession, Retries
from reconciler.errors import AwsAccessError

BASE_ACCOUNT = "123456789012"  # moto's default account for unknown access keys
DEV, STAGING, PROD = "111122223333", "444455556666", "777788889999"
ROLES = {account: f"arn:aws:iam::{account}:role/BedrockGitOpsReconciler" for account in (DEV, STAGING, PROD)}


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


def _sts_error(code: str, message: str, status: int) -> AWSResponse:
    body = (
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        f"<Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
        "<RequestId>test</RequestId></ErrorResponse>"
    ).encode()
    return AWSResponse("https://sts.amazonaws.com/", status, {}, _RawBody(body))


def test_each_role_is_assumed_once_however_many_threads_ask(base_session: boto3.Session) -> None:
    clients = AwsClients(base_session, ROLES)
    wanted = [
        (service, account, region)
        for account in ROLES
        for region in ("us-east-1", "eu-west-1")
        for service in ("bedrock", "ram")
    ] * 8

    with ThreadPoolExecutor(max_workers=16) as pool:
        made = list(pool.map(lambda key: clients.client(*key), wanted))

    assert clients.call_counts() == {"sts.AssumeRole": 3}
    # One handle per (service, account, Region), over one botocore client per (service, Region) shared
    # by the accounts (plus the base session's STS client that assumed the roles).
    assert len({id(client) for client in made}) == 3 * 2 * 2
    assert clients.client("bedrock", DEV, "us-east-1") is clients.client("bedrock", DEV, "us-east-1")
    assert clients.clients_made() == 2 * 2 + 1


def test_a_shared_client_signs_each_call_as_its_own_account_from_many_threads(
    base_session: boto3.Session,
) -> None:
    clients = AwsClients(base_session, ROLES)
    asked = [account for account in ROLES for _ in range(10)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        seen = list(pool.map(lambda a: clients.client("sts", a, "eu-west-1").get_caller_identity(), asked))

    assert [identity["Account"] for identity in seen] == asked
    assert clients.clients_made() == 2  # the roles' STS client in eu-west-1, the base one that assumed them


def test_clients_act_as_the_assumed_role_with_a_session_name_naming_us(base_session: boto3.Session) -> None:
    clients = AwsClients(base_session, ROLES)

    identity = clients.client("sts", STAGING, "eu-west-1").get_caller_identity()

    assert identity["Account"] == STAGING
    assert identity["Arn"].startswith(
        f"arn:aws:sts::{STAGING}:assumed-role/BedrockGitOpsReconciler/bedrock-gitops-"
    )


def test_the_base_account_without_a_role_uses_the_base_credentials(base_session: boto3.Session) -> None:
    clients = AwsClients(base_session, {})

    identity = clients.client("sts", BASE_ACCOUNT, "us-east-1").get_caller_identity()

    assert identity["Arn"] == f"arn:aws:sts::{BASE_ACCOUNT}:user/moto"
    assert "sts.AssumeRole" not in clients.call_counts()


def test_another_account_without_a_role_is_an_access_error(base_session: boto3.Session) -> None:
    clients = AwsClients(base_session, {})

    with pytest.raises(AwsAccessError) as raised:
        clients.client("bedrock", DEV, "eu-west-1")

    assert (raised.value.account, raised.value.region) == (DEV, "eu-west-1")
    assert "no role configured" in str(raised.value)


def test_a_refused_assume_role_names_the_role_and_says_what_to_check(base_session: boto3.Session) -> None:
    def deny(**_: Any) -> AWSResponse:
        return _sts_error("AccessDenied", "not authorized to perform: sts:AssumeRole", 403)

    base_session.events.register("before-send.sts.AssumeRole", deny)
    clients = AwsClients(base_session, ROLES)

    with pytest.raises(AwsAccessError) as raised:
        clients.client("bedrock", PROD, "us-west-2")

    assert (raised.value.account, raised.value.region) == (PROD, "us-west-2")
    assert str(raised.value) == (
        f"account {PROD}, Region us-west-2: cannot assume role {ROLES[PROD]}: AccessDenied: "
        "not authorized to perform: sts:AssumeRole. Check that the role exists and trusts this principal."
    )


def test_retry_mode_is_standard_by_default_and_can_be_adaptive(base_session: boto3.Session) -> None:
    standard = AwsClients(base_session, ROLES).client("bedrock", DEV, "us-east-1")
    adaptive = AwsClients(base_session, ROLES, retries=Retries("adaptive", 4)).client(
        "bedrock", DEV, "us-east-1"
    )

    assert standard.meta.config.retries == {"mode": "standard", "total_max_attempts": 20}
    assert adaptive.meta.config.retries == {"mode": "adaptive", "total_max_attempts": 4}
    assert standard.meta.config.max_pool_connections >= 16


def test_calls_and_retried_attempts_are_counted_apart(base_session: boto3.Session) -> None:
    throttles_left = [1]

    def throttle_once(**_: Any) -> AWSResponse | None:
        if throttles_left[0]:
            throttles_left[0] -= 1
            return _sts_error("Throttling", "Rate exceeded", 400)
        return None

    clients = AwsClients(base_session, ROLES)
    sts = clients.client("sts", DEV, "us-east-1")
    sts.meta.events.register("before-send.sts.GetCallerIdentity", throttle_once)

    sts.get_caller_identity()
    sts.get_caller_identity()

    assert clients.call_counts() == {"sts.AssumeRole": 1, "sts.GetCallerIdentity": 2}
    assert clients.attempt_counts() == {"sts.AssumeRole": 1, "sts.GetCallerIdentity": 3}
    assert clients.retry_counts() == {"sts.GetCallerIdentity": 1}


def test_credentials_near_expiry_are_refreshed_by_assuming_the_role_again(
    base_session: boto3.Session,
) -> None:
    # 900 s is STS's minimum and within botocore's 15-minute advisory refresh window: every signed
    # request finds the credentials due for refresh.
    clients = AwsClients(base_session, ROLES, role_duration_seconds=900)
    sts = clients.client("sts", DEV, "us-east-1")
    assert clients.call_counts()["sts.AssumeRole"] == 1

    assert sts.get_caller_identity()["Account"] == DEV

    assert clients.call_counts()["sts.AssumeRole"] == 2


def test_pages_of_two_accounts_read_in_turns_each_come_from_their_own_account(
    base_session: boto3.Session,
) -> None:
    """botocore fetches pages lazily, long after get_paginator: each page is still signed as its account."""
    clients = AwsClients(base_session, ROLES)
    for account in (DEV, STAGING):
        for index in range(2):
            clients.bedrock(account, "us-east-1").create_model_customization_job(
                jobName=f"job-{index}",
                customModelName=f"model-{account}-{index}",
                roleArn=f"arn:aws:iam::{account}:role/BedrockCustomization",
                baseModelIdentifier="amazon.titan-text-express-v1",
                trainingDataConfig={"s3Uri": "s3://training/data.jsonl"},
                outputDataConfig={"s3Uri": "s3://training/output/"},
                hyperParameters={},
            )
    pages = {
        account: iter(
            clients.bedrock(account, "us-east-1")
            .get_paginator("list_custom_models")
            .paginate(PaginationConfig={"PageSize": 1})
        )
        for account in (DEV, STAGING)
    }

    seen: dict[str, list[str]] = {DEV: [], STAGING: []}
    for _ in range(2):
        for account, iterator in pages.items():
            seen[account] += [m["modelName"] for m in next(iterator)["modelSummaries"]]

    assert {name.split("-")[1] for name in seen[DEV]} == {DEV}
    assert {name.split("-")[1] for name in seen[STAGING]} == {STAGING}


def test_a_shared_client_called_outside_an_account_refuses_instead_of_signing_as_anyone() -> None:
    with mock_aws():
        credentials = AccountCredentials()
        with pytest.raises(UnboundCallError):
            credentials.get_frozen_credentials()


def test_the_default_chain_session_finds_what_boto3_finds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIABASEEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    with mock_aws():
        ours, boto3s = DefaultChainSession(), boto3.Session()
        assert (ours.region_name, ours.profile_name, ours.available_profiles) == (
            boto3s.region_name,
            boto3s.profile_name,
            boto3s.available_profiles,
        )
        clients = AwsClients(ours, ROLES)
        assert clients.base_account("eu-west-1") == BASE_ACCOUNT
        assert clients.client("sts", DEV, "eu-west-1").get_caller_identity()["Account"] == DEV


def test_a_run_on_aws_does_not_import_boto3() -> None:
    """botocore is all the clients use; boto3's import (s3transfer, multiprocessing) would cost every run
    a fifth of a second of CPU."""
    script = (
        "import sys\n"
        "import reconciler.cli, reconciler.commands.plan, reconciler.commands.apply, reconciler.pipeline\n"
        "import reconciler.applying, reconciler.aws.discovery, reconciler.aws.preflight\n"
        "from reconciler.aws.clients import DefaultChainSession\n"
        "DefaultChainSession().client('bedrock', region_name='us-east-1')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 's3transfer')))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
