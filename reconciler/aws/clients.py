"""boto3 clients per (service, account, Region), with assumed-role credentials and API call counts.

One `AwsClients` serves a whole run from many threads: it assumes each account's role once, keeps the
credentials refreshing in the background of botocore's signer, caches one client per (service, account,
Region), and counts every API call so that a run can report (and tests can assert) how much it asked AWS.
"""

from __future__ import annotations

import copy
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, cast, overload

import boto3
import botocore.session
from botocore.config import Config
from botocore.credentials import CredentialProvider, CredentialResolver, RefreshableCredentials
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
from botocore.hooks import EVENT_ALIASES, EventAliaser

from reconciler.errors import AwsAccessError

if TYPE_CHECKING:
    from botocore.client import BaseClient
    from mypy_boto3_bedrock import BedrockClient
    from mypy_boto3_ram import RAMClient
    from mypy_boto3_sts import STSClient

RetryMode = Literal["standard", "adaptive"]
Service = Literal[
    "bedrock", "bedrock-runtime", "ram", "sts", "dynamodb", "organizations", "kms", "service-quotas"
]

SESSION_NAME_PREFIX = "bedrock-gitops"
# Standard mode's default of 3 attempts gives up too early on Bedrock's low control-plane rate limits: at
# a 30% throttle rate, 3 attempts fail 2.7% of calls, 8 attempts 0.007%.
DEFAULT_MAX_ATTEMPTS = 8
# Discovery runs up to 16 scopes at once, each paginating with one client per service; botocore's
# default of 10 pooled connections per client would make threads wait for a connection.
DEFAULT_MAX_POOL_CONNECTIONS = 32
DEFAULT_ROLE_DURATION_SECONDS = 3600
CONNECT_TIMEOUT_SECONDS = 10
_FALLBACK_STS_REGION = "us-east-1"


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
    """Hands a per-account session the refreshable credentials we built, instead of the default chain."""

    METHOD = "bedrock-gitops-assume-role"
    CANONICAL_NAME = "custom-bedrock-gitops-assume-role"

    def __init__(self, credentials: RefreshableCredentials) -> None:
        super().__init__()
        self._credentials = credentials

    def load(self) -> RefreshableCredentials:
        return self._credentials


@dataclass(frozen=True)
class ClientsOrigin:
    """How to make the same AwsClients again in another process (see fanout.py): the sandbox's directory
    (None: the normal AWS credential chain, which a child process inherits through the environment) and
    the roles to assume."""

    sandbox_dir: str | None
    roles: Mapping[str, str]


class AwsClients:
    """Thread-safe factory of boto3 clients for (service, account, Region).

    `roles` maps account id -> role ARN to assume there. An account without a role is reachable only if
    it is the base credentials' own account (then the base session is used as is).
    """

    def __init__(
        self,
        base_session: boto3.Session,
        roles: Mapping[str, str],
        *,
        retry_mode: RetryMode = "standard",
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        max_pool_connections: int = DEFAULT_MAX_POOL_CONNECTIONS,
        role_duration_seconds: int = DEFAULT_ROLE_DURATION_SECONDS,
        session_name: str | None = None,
    ) -> None:
        self._base_session = base_session
        self._roles = dict(roles)
        self._role_duration_seconds = role_duration_seconds
        # Visible in the role's CloudTrail events: which tool, which run.
        self.session_name = session_name or f"{SESSION_NAME_PREFIX}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
        self._config = Config(
            # `total_max_attempts` counts the first attempt, like AWS_MAX_ATTEMPTS and the other SDKs;
            # botocore's `max_attempts` key would count retries only (one attempt more than asked).
            retries={"mode": retry_mode, "total_max_attempts": max_attempts},
            max_pool_connections=max_pool_connections,
            # botocore's 60 s default, times every retry, would stall a run on an unreachable endpoint.
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            user_agent_extra=f"app/{SESSION_NAME_PREFIX}",
        )
        # boto3 Sessions are not thread-safe, clients are: every use of a session happens under that
        # session's lock (`_base_lock` for the base session, `_account_locks[account]` for the others).
        self._base_lock = threading.Lock()
        self._registry_lock = threading.Lock()
        self._account_locks: dict[str, threading.Lock] = {}
        self._account_sessions: dict[str, boto3.Session] = {}
        self._clients: dict[tuple[str, str, str], BaseClient] = {}
        self._sts: STSClient | None = None
        self._identity_lock = threading.Lock()
        self._base_account: str | None = None
        # Set by whoever made the base session, when other processes can make it again.
        self.origin: ClientsOrigin | None = None
        self._counts_lock = threading.Lock()
        self._calls: Counter[str] = Counter()
        self._attempts: Counter[str] = Counter()

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
        """The cached client; the first call for an account assumes its role (AwsAccessError if refused)."""
        key = (service, account, region)
        cached = self._clients.get(key)
        if cached is not None:
            return cached
        try:
            session, lock = self._session_for(account, region)
        except RoleAssumptionError as error:
            raise AwsAccessError(account, region, error.describe()) from error
        with lock:
            cached = self._clients.get(key)
            if cached is None:
                cached = self._new_client(session, service, region)
                self._clients[key] = cached
        return cached

    def bedrock(self, account: str, region: str) -> BedrockClient:
        return self.client("bedrock", account, region)

    def ram(self, account: str, region: str) -> RAMClient:
        return self.client("ram", account, region)

    def base_account(self, region: str) -> str:
        """The account of the base credentials (the CI's tooling account), asked of STS once."""
        return self._own_account(region)

    def add_call_counts(self, counts: Mapping[str, int]) -> None:
        """Count calls made for this run by other processes (see fanout.py)."""
        with self._counts_lock:
            self._calls.update(counts)
            self._attempts.update(counts)

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

    # -- sessions --------------------------------------------------------------------------------------

    def _session_for(self, account: str, region: str) -> tuple[boto3.Session, threading.Lock]:
        role_arn = self._roles.get(account)
        if role_arn is None:
            if account == self._own_account(region):
                return self._base_session, self._base_lock
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
            session = self._account_sessions.get(account)
            if session is None:
                session = self._assumed_role_session(account, role_arn, region)
                self._account_sessions[account] = session
        return session, lock

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
        with self._base_lock:
            if self._sts is None:
                # Regional STS endpoint: the base session's Region, else the Region we first work in.
                sts_region = self._base_session.region_name or region or _FALLBACK_STS_REGION
                self._sts = cast("STSClient", self._new_client(self._base_session, "sts", sts_region))
            return self._sts

    def _assumed_role_session(self, account: str, role_arn: str, region: str) -> boto3.Session:
        sts = self._sts_client(region)

        def fetch() -> dict[str, str]:
            try:
                response = sts.assume_role(
                    RoleArn=role_arn,
                    RoleSessionName=self.session_name,
                    DurationSeconds=self._role_duration_seconds,
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
        credentials = RefreshableCredentials.create_from_metadata(
            metadata=fetch(), refresh_using=fetch, method=_FixedCredentialProvider.METHOD
        )
        return boto3.Session(botocore_session=self._derived_botocore_session(credentials))

    def _derived_botocore_session(self, credentials: RefreshableCredentials) -> botocore.session.Session:
        """A botocore session like the base one but with other credentials.

        It gets a copy of the base session's event handlers, because those may be what answers the calls
        (the sandbox, moto, or a user's instrumentation hook into the base session's events), and shares its
        data loader so that service models are parsed once per run, not once per account.
        """
        base = self._base_session._session
        with self._base_lock:
            events = copy.copy(base.get_component("event_emitter"))
            derived = botocore.session.Session(
                profile=base.profile, event_hooks=events, include_builtin_handlers=False
            )
            derived.register_component("data_loader", base.get_component("data_loader"))
            derived.register_component(
                "credential_provider", CredentialResolver([_FixedCredentialProvider(credentials)])
            )
        return derived

    def _new_client(self, session: boto3.Session, service: Service, region: str) -> BaseClient:
        client = cast("BaseClient", session.client(service, region_name=region, config=self._config))
        _share_event_alias_cache(client.meta.events)
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


# botocore gives every client a fresh EventAliaser whose cache of event-name aliases starts empty, and filling
# it costs a loop over every alias for each of the ~30 events of a call. A run across hundreds of accounts
# makes thousands of clients that each make a few calls, so that loop was a fifth of a plan's CPU. The
# mapping depends only on botocore's alias table, so one cache can serve every client of the process.
_SHARED_ALIAS_CACHE: dict[str, str] = {}


def _share_event_alias_cache(events: object) -> None:
    if (
        isinstance(events, EventAliaser)
        and getattr(events, "_event_aliases", None) == EVENT_ALIASES
        and isinstance(getattr(events, "_alias_name_cache", None), dict)
    ):
        events._alias_name_cache = _SHARED_ALIAS_CACHE  # type: ignore[attr-defined]


def _operation_key(event_name: str) -> str:
    # "before-call.bedrock.ListCustomModels" -> "bedrock.ListCustomModels"
    _, service, operation = event_name.split(".", 2)
    return f"{service}.{operation}"


def _aws_message(error: ClientError) -> str:
    details = error.response.get("Error", {})
    code = details.get("Code", "Unknown")
    message = details.get("Message", str(error))
    return f"{code}: {message}"
