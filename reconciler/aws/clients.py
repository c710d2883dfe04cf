"""boto3 clients for (service, account, Region), with assumed-role credentials and API call counts.

One `AwsClients` serves a whole run from many threads: it assumes each account's role once, keeps the
credentials refreshing in the background of botocore's signer, and counts every API call so that a run can
report (and tests can assert) how much it asked AWS. Clients are few: one botocore client per (service,
Region) serves every assumed-role account (acting_as.py signs each call as its account), so a plan over
hundreds of accounts builds a handful of clients, not one per account-Region-service.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, cast, overload

import botocore.session
from botocore.config import Config
from botocore.credentials import CredentialProvider, CredentialResolver, RefreshableCredentials
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
from botocore.utils import parse_timestamp

from reconciler.aws.acting_as import AccountClient, AccountCredentials
from reconciler.errors import AwsAccessError

if TYPE_CHECKING:
    import boto3
    from botocore.client import BaseClient
    from mypy_boto3_bedrock import BedrockClient
    from mypy_boto3_ram import RAMClient
    from mypy_boto3_sts import STSClient

RetryMode = Literal["standard", "adaptive"]
Service = Literal[
    "bedrock", "bedrock-runtime", "ram", "sts", "dynamodb", "organizations", "kms", "service-quotas"
]

SESSION_NAME_PREFIX = "bedrock-gitops"
# Standard mode's default of 3 attempts gives up too early on Bedrock's low control-plane rate limits. A
# plan makes dozens of reads and any one failing fails it: at a 60% throttle rate 8 attempts fail 1.7% of
# calls (about one plan in 14), 20 attempts 0.004% (backoff is capped at 20 s per attempt).
DEFAULT_MAX_ATTEMPTS = 20
# One client per (service, Region) carries the calls of every account there: its pool must hold as many
# connections as calls can be in flight (discovery's default is 32), or threads wait for a connection.
DEFAULT_MAX_POOL_CONNECTIONS = 64
DEFAULT_ROLE_DURATION_SECONDS = 3600
CONNECT_TIMEOUT_SECONDS = 10
_FALLBACK_STS_REGION = "us-east-1"


class Retries(NamedTuple):
    """botocore's retry settings for every client of a run. `max_attempts` counts the first attempt."""

    mode: RetryMode = "standard"
    max_attempts: int = DEFAULT_MAX_ATTEMPTS


DEFAULT_RETRIES = Retries()


def configured_max_attempts(default: int) -> int:
    """AWS_MAX_ATTEMPTS when set (as the AWS CLI and SDKs honour it), else `default`."""
    try:
        return max(1, int(os.environ.get("AWS_MAX_ATTEMPTS", "")))
    except ValueError:
        return default


NO_CREDENTIALS = (
    "no AWS credentials were found. Provide them the usual way (AWS_PROFILE, `aws sso login`, "
    "`aws configure`, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or a CI OIDC role), or try the simulated "
    "estate with --sandbox"
)


class RoleAssumptionError(Exception):
    """STS refused AssumeRole. Raised where the Region is unknown (a credential refresh inside a call);
    callers that know the scope turn it into an `AwsAccessError` with `describe()` as message."""

    def __init__(self, account: str, role_arn: str, aws_message: str) -> None:
        self.account = account
        self.role_arn = role_arn
        self.aws_message = aws_message
        super().__init__(self.describe())

    def describe(self) -> str:
        if self.aws_message == NO_CREDENTIALS:
            return f"cannot assume role {self.role_arn}: {NO_CREDENTIALS}"
        return (
            f"cannot assume role {self.role_arn}: {self.aws_message}. "
            "Check that the role exists and trusts this principal."
        )


class _FixedCredentialProvider(CredentialProvider):
    """Hands the assumed-role session our `AccountCredentials` instead of the default chain's."""

    METHOD = AccountCredentials.method
    CANONICAL_NAME = "custom-bedrock-gitops-assume-role"

    def __init__(self, credentials: AccountCredentials) -> None:
        super().__init__()
        self._credentials = credentials

    def load(self) -> AccountCredentials:
        return self._credentials


class DefaultChainSession:
    """The base credentials of a run on AWS: botocore's default chain (environment, profile, SSO, container
    or instance role), as `boto3.Session()` finds them, without importing boto3 (its import pulls in
    s3transfer and multiprocessing: a fifth of a second of every run's CPU, for nothing a client here uses).
    Offers what `AwsClients` asks of a `boto3.Session`; either can be the base session."""

    def __init__(self, keys: tuple[str, str] | None = None, region: str | None = None) -> None:
        """`keys` (access key id, secret key) and `region` replace what the chain would find (the sandbox's
        base credentials)."""
        self._session = botocore.session.Session()
        if keys is not None:
            self._session.set_credentials(*keys)
        if region is not None:
            self._session.set_config_variable("region", region)

    @property
    def region_name(self) -> str | None:
        region = self._session.get_config_variable("region")
        return None if region is None else str(region)

    @property
    def profile_name(self) -> str:
        return self._session.profile or "default"  # boto3's name when none is configured

    @property
    def available_profiles(self) -> list[str]:
        return list(self._session.available_profiles)

    def client(
        self, service_name: str, *, region_name: str | None = None, config: Config | None = None
    ) -> Any:
        return self._session.create_client(service_name, region_name=region_name, config=config)


class AwsClients:
    """Thread-safe factory of boto3 clients for (service, account, Region).

    `roles` maps account id -> role ARN to assume there. An account without a role is reachable only if
    it is the base credentials' own account (then the base session is used as is). `session_policy`, when
    given, is an IAM policy document (JSON) sent with every AssumeRole: the session can do at most what
    both the role and that policy allow.
    """

    def __init__(
        self,
        base_session: boto3.Session | DefaultChainSession,
        roles: Mapping[str, str],
        *,
        retries: Retries = DEFAULT_RETRIES,
        session_policy: str | None = None,
        max_pool_connections: int = DEFAULT_MAX_POOL_CONNECTIONS,
        role_duration_seconds: int = DEFAULT_ROLE_DURATION_SECONDS,
        session_name: str | None = None,
    ) -> None:
        self._base_session = base_session
        self._roles = dict(roles)
        self._session_policy = session_policy
        self._role_duration_seconds = role_duration_seconds
        # Visible in the role's CloudTrail events: which tool, which run.
        self.session_name = session_name or f"{SESSION_NAME_PREFIX}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
        self._config = Config(
            # `total_max_attempts` counts the first attempt, like AWS_MAX_ATTEMPTS and the other SDKs;
            # botocore's `max_attempts` key would count retries only (one attempt more than asked).
            retries={
                "mode": retries.mode,
                "total_max_attempts": configured_max_attempts(retries.max_attempts),
            },
            max_pool_connections=max_pool_connections,
            # botocore's 60 s default, times every retry, would stall a run on an unreachable endpoint.
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            user_agent_extra=f"app/{SESSION_NAME_PREFIX}",
        )
        # boto3 and botocore sessions are not thread-safe, clients are: every use of a session happens
        # under `_session_lock`. Clients are made once per (service, Region) and cached.
        self._session_lock = threading.Lock()
        self._registry_lock = threading.Lock()
        self._account_locks: dict[str, threading.Lock] = {}
        self._account_credentials: dict[str, RefreshableCredentials] = {}
        self._base_clients: dict[tuple[str, str], BaseClient] = {}
        self._role_session: botocore.session.Session | None = None
        self._role_clients: dict[tuple[str, str], BaseClient] = {}
        self._role_paginators: dict[tuple[str, str], dict[str, Any]] = {}
        self._bound: dict[tuple[str, str, str], Any] = {}
        self._identity_lock = threading.Lock()
        self._base_account: str | None = None
        # The sandbox directory the base session answers from (set by whoever opened it), None on real AWS.
        self.sandbox_dir: str | None = None
        self._counts_lock = threading.Lock()
        self._calls: Counter[str] = Counter()
        self._attempts: Counter[str] = Counter()

    @property
    def session_policy(self) -> str | None:
        """The session policy every role is assumed with (None: the role's own permissions)."""
        return self._session_policy

    # -- public API ------------------------------------------------------------------------------------

    @overload
    def client(self, service: Literal["bedrock"], account: str, region: str) -> BedrockClient: ...
    @overload
    def client(self, service: Literal["ram"], account: str, region: str) -> RAMClient: ...
    @overload
    def client(self, service: Literal["sts"], account: str, region: str) -> STSClient: ...
    @overload
    def client(
        self,
        service: Literal["bedrock-runtime", "dynamodb", "organizations", "kms", "service-quotas"],
        account: str,
        region: str,
    ) -> Any: ...
    def client(self, service: Service, account: str, region: str) -> Any:
        """The client acting as `account` in `region`; the first call for an account assumes its role
        (AwsAccessError if refused)."""
        key = (service, account, region)
        bound = self._bound.get(key)
        if bound is not None:
            return bound
        try:
            credentials = self._credentials_for(account, region)
        except RoleAssumptionError as error:
            raise AwsAccessError(account, region, error.describe()) from error
        if credentials is None:
            bound = self._base_client(service, region)
        else:
            bound = AccountClient(
                self._role_client(service, region),
                credentials,
                self._role_paginators.setdefault((service, region), {}),
            )
        with self._registry_lock:
            return self._bound.setdefault(key, bound)

    def bedrock(self, account: str, region: str) -> BedrockClient:
        return self.client("bedrock", account, region)

    def ram(self, account: str, region: str) -> RAMClient:
        return self.client("ram", account, region)

    def base_account(self, region: str) -> str:
        """The account of the base credentials (the CI's tooling account), asked of STS once."""
        return self._own_account(region)

    def call_counts(self) -> dict[str, int]:
        """API calls made so far, by `service.Operation` (e.g. `bedrock.ListCustomModels`), retries not
        included; AssumeRole and GetCallerIdentity are counted as `sts.*`."""
        with self._counts_lock:
            return dict(sorted(self._calls.items()))

    def attempt_counts(self) -> dict[str, int]:
        """HTTP requests sent, by `service.Operation`: calls plus their retries."""
        with self._counts_lock:
            return dict(sorted(self._attempts.items()))

    def retry_counts(self) -> dict[str, int]:
        with self._counts_lock:
            retries = self._attempts - self._calls
        return dict(sorted(retries.items()))

    def clients_made(self) -> int:
        """botocore clients built so far (each costs CPU and memory: they are shared across accounts)."""
        with self._session_lock:
            return len(self._base_clients) + len(self._role_clients)

    # -- credentials -----------------------------------------------------------------------------------

    def _credentials_for(self, account: str, region: str) -> RefreshableCredentials | None:
        """The account's assumed-role credentials; None for the base account when it has no role."""
        role_arn = self._roles.get(account)
        if role_arn is None:
            if account == self._own_account(region):
                return None
            raise AwsAccessError(
                account,
                region,
                f"no role configured for account {account}, and the base credentials belong to "
                f"account {self._own_account(region)}. Configure the account's reconciler role.",
            )
        with self._registry_lock:
            lock = self._account_locks.setdefault(account, threading.Lock())
        # Held while assuming the role: other threads wanting this account wait for the one AssumeRole
        # instead of making their own, while threads for other accounts proceed in parallel.
        with lock:
            credentials = self._account_credentials.get(account)
            if credentials is None:
                credentials = self._assume_role(account, role_arn, region)
                self._account_credentials[account] = credentials
        return credentials

    def _own_account(self, region: str) -> str:
        with self._identity_lock:
            if self._base_account is None:
                try:
                    identity = self._sts_client(region).get_caller_identity()
                except NoCredentialsError as error:
                    raise AwsAccessError("(base credentials)", region, NO_CREDENTIALS) from error
                except (ClientError, BotoCoreError) as error:
                    raise AwsAccessError(
                        "(base credentials)", region, f"cannot identify the base credentials: {error}"
                    ) from error
                self._base_account = identity["Account"]
            return self._base_account

    def _sts_client(self, region: str) -> STSClient:
        # Regional STS endpoint: the base session's Region, else the Region we first work in.
        sts_region = self._base_session.region_name or region or _FALLBACK_STS_REGION
        return cast("STSClient", self._base_client("sts", sts_region))

    def _assume_role(self, account: str, role_arn: str, region: str) -> RefreshableCredentials:
        sts = self._sts_client(region)
        policy: dict[str, Any] = {} if self._session_policy is None else {"Policy": self._session_policy}

        def fetch() -> dict[str, str]:
            try:
                response = sts.assume_role(
                    RoleArn=role_arn,
                    RoleSessionName=self.session_name,
                    DurationSeconds=self._role_duration_seconds,
                    **policy,
                )
            except ClientError as error:
                raise RoleAssumptionError(account, role_arn, _aws_message(error)) from error
            except NoCredentialsError as error:
                raise RoleAssumptionError(account, role_arn, NO_CREDENTIALS) from error
            except BotoCoreError as error:
                raise RoleAssumptionError(account, role_arn, str(error)) from error
            credentials = response["Credentials"]
            return {
                "access_key": credentials["AccessKeyId"],
                "secret_key": credentials["SecretAccessKey"],
                "token": credentials["SessionToken"],
                "expiry_time": credentials["Expiration"].isoformat(),
            }

        # Assume now (not lazily at the first signed request) so that a refusal surfaces here, with the
        # account and Region at hand; botocore refreshes through `fetch` before the credentials expire.
        metadata = fetch()
        return RefreshableCredentials(
            access_key=metadata["access_key"],
            secret_key=metadata["secret_key"],
            token=metadata["token"],
            expiry_time=_parse_timestamp(metadata["expiry_time"]),
            refresh_using=fetch,
            method=AccountCredentials.method,
            # The signer asks whether a refresh is due on every request; botocore's default clock builds a
            # dateutil local zone each time (a twentieth of a call's CPU). Expiry is compared in UTC.
            time_fetcher=_utc_now,
        )

    # -- clients ---------------------------------------------------------------------------------------

    def _base_client(self, service: str, region: str) -> BaseClient:
        make = cast("Any", self._base_session.client)  # the stubs type it per service name literal
        with self._session_lock:
            client = self._base_clients.get((service, region))
            if client is None:
                client = self._counted(make(service, region_name=region, config=self._config))
                self._base_clients[(service, region)] = client
            return client

    def _role_client(self, service: str, region: str) -> BaseClient:
        """The (service, Region) client every assumed-role account shares."""
        with self._session_lock:
            client = self._role_clients.get((service, region))
            if client is None:
                client = self._counted(
                    self._assumed_role_session().create_client(
                        service, region_name=region, config=self._config
                    )
                )
                self._role_clients[(service, region)] = client
            return client

    def _assumed_role_session(self) -> botocore.session.Session:
        """One botocore session for every assumed role (called under `_session_lock`): same profile
        settings as the base session, credentials from `AccountCredentials`, and the built-in handlers
        (what answers the calls in the sandbox and under moto) but none of the base session's own."""
        if self._role_session is None:
            # boto3 names the profile "default" even when none is configured; botocore would refuse it.
            profile = self._base_session.profile_name
            known = profile in self._base_session.available_profiles
            session = botocore.session.Session(profile=profile if known else None)
            session.register_component(
                "credential_provider", CredentialResolver([_FixedCredentialProvider(AccountCredentials())])
            )
            # botocore's default parses every timestamp of every listing through dateutil, a tenth of a
            # call's CPU; the standard library reads the forms AWS sends directly.
            session.get_component("response_parser_factory").set_parser_defaults(
                timestamp_parser=_parse_timestamp
            )
            self._role_session = session
        return self._role_session

    def _counted(self, client: BaseClient) -> BaseClient:
        # Per-client handlers: `before-call` fires once per API call, `before-send` once per HTTP attempt.
        client.meta.events.register("before-call", self._count_call)
        client.meta.events.register("before-send", self._count_attempt)
        return client

    # -- counting --------------------------------------------------------------------------------------

    def _count_call(self, event_name: str, **_: object) -> None:
        with self._counts_lock:
            self._calls[_operation_key(event_name)] += 1

    def _count_attempt(self, event_name: str, **_: object) -> None:
        with self._counts_lock:
            self._attempts[_operation_key(event_name)] += 1


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _parse_timestamp(value: object) -> datetime:
    """What botocore's default parser answers (an aware datetime), without its dateutil detour for the two
    forms AWS uses: epoch seconds (JSON protocols) and ISO 8601 with a zone (XML ones)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return parsed
    fallback: datetime = parse_timestamp(value)  # type: ignore[arg-type]  # anything else: botocore's way
    return fallback


def _operation_key(event_name: str) -> str:
    # "before-call.bedrock.ListCustomModels" -> "bedrock.ListCustomModels"
    _, service, operation = event_name.split(".", 2)
    return f"{service}.{operation}"


def _aws_message(error: ClientError) -> str:
    details = error.response.get("Error", {})
    code = details.get("Code", "Unknown")
    message = details.get("Message", str(error))
    return f"{code}: {message}"
