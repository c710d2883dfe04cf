"""Live discovery: read every (account, Region) the manifests involve, in parallel, into a `LiveState`.

Only list calls (plus ListTagsForResource for the tags the planner asks for). One task per scope in a
bounded thread pool; a scope's calls run in sequence inside its task. All-or-nothing: when any scope fails,
every task still finishes, then one `AwsReadError` names every failing account/Region — a partial
LiveState would make the planner propose creating what it simply could not see.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Protocol, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from reconciler.aws import listing
from reconciler.aws.clients import AwsClients, RoleAssumptionError
from reconciler.aws.conversions import tags_to_dict
from reconciler.aws.limits import DEFAULT_MAX_WORKERS, MAX_CALLS_PER_SCOPE
from reconciler.collector import fewer_collections
from reconciler.core.live import LiveState, Scope, ScopeState
from reconciler.errors import AwsAccessError, ReconcilerError

if TYPE_CHECKING:
    from reconciler.core.scopes import ScopeRead


Key = TypeVar("Key", bound=Hashable)
Result = TypeVar("Result")


@dataclass(frozen=True, slots=True, order=True)
class ScopeFailure:
    account: str
    region: str
    message: str  # what AWS said, e.g. "ListCustomModels: AccessDeniedException: ..."


class AwsReadError(AwsAccessError):
    """AWS could not be read in one or more account/Regions; the message lists every one of them.

    `account`/`region` are those of the first failure (in sorted order); `failures` has them all.
    """

    def __init__(self, failures: Sequence[ScopeFailure]) -> None:
        self.failures = tuple(sorted(set(failures)))
        first = self.failures[0]
        if len(self.failures) == 1:
            super().__init__(first.account, first.region, first.message)
            return
        self.account, self.region = first.account, first.region
        lines = [f"AWS could not be read in {len(self.failures)} places:"]
        lines += [f"  account {f.account}, Region {f.region}: {f.message}" for f in self.failures]
        # AwsAccessError's own message names one scope only; this one names them all.
        ReconcilerError.__init__(self, "\n".join(lines))


def discover(
    clients: AwsClients,
    reads: Mapping[Scope, ScopeRead],
    *,
    max_workers: int = DEFAULT_MAX_WORKERS,
    page_size: int | None = None,
    every_invitation: bool = False,
) -> LiveState:
    """Read every scope in `reads` (what to list there: its `bedrock`/`shares`/`invitations` flags).

    `page_size` is the page size asked of every paginated list (None: the service's default).
    `every_invitation`: keep the invitations `relevant_invitations_only` would drop (a shard reads part of
    the estate: which invitations matter depends on the shares every shard read, so the merge filters).
    Raises AwsReadError (an AwsAccessError) naming every account/Region that could not be read.
    """
    order = _accounts_apart(reads, max_workers)
    tasks = {scope: partial(read_scope, clients, reads[scope], page_size) for scope in order}
    read = run_all(tasks, scope_of=lambda scope: scope, max_workers=max_workers)
    states = {scope: read[scope] for scope in sorted(read)}
    return LiveState(states if every_invitation else relevant_invitations_only(states))


def _accounts_apart(scopes: Iterable[Scope], workers: int) -> list[Scope]:
    """The scopes in the order they are read: an account's Regions spaced `workers` accounts apart.

    An account's first read assumes its role. Read one after another, its other Regions' reads started
    together with it and each held a worker waiting for that AssumeRole (measured: ~45 ms idle per scope,
    about a tenth of a 200-account plan's wall). Spaced, each starts after the role is there; the
    AssumeRoles stay spread over the plan, one per account as before (bunched, they queue at STS)."""
    by_account: dict[str, list[Scope]] = {}
    for scope in sorted(scopes):
        by_account.setdefault(scope.account, []).append(scope)
    spacing = max(1, workers)
    ranked = [
        (index + spacing * rank, rank, index, scope)
        for index, account_scopes in enumerate(by_account.values())
        for rank, scope in enumerate(account_scopes)
    ]
    return [scope for *_, scope in sorted(ranked)]


def read_tags(
    clients: AwsClients,
    arns: Mapping[Scope, Sequence[str]],
    *,
    max_workers: int = DEFAULT_MAX_WORKERS,
) -> dict[str, dict[str, str]]:
    """Bedrock tags of each ARN (read in its scope's account/Region), all ARNs in parallel."""
    tasks = {
        (scope, arn): partial(_read_resource_tags, clients, scope, arn)
        for scope, scope_arns in sorted(arns.items())
        for arn in dict.fromkeys(scope_arns)  # de-duplicated, order kept
    }
    tags = run_all(tasks, scope_of=lambda key: key[0], max_workers=max_workers, subject_of=lambda key: key[1])
    return {arn: resource_tags for (_, arn), resource_tags in tags.items()}


# -- one scope ---------------------------------------------------------------------------------------------


def read_scope(clients: AwsClients, read: ScopeRead, page_size: int | None) -> ScopeState:
    account, region = read.scope
    state = ScopeState(account, region)
    if read.bedrock:
        bedrock = clients.bedrock(account, region)
        state = dataclasses.replace(
            state,
            custom_models=_by_arn(listing.list_custom_models(bedrock, page_size)),
            copy_jobs=_by_arn(listing.list_copy_jobs(bedrock, page_size)),
            throughputs=_by_arn(listing.list_throughputs(bedrock, page_size)),
            deployments=_by_arn(listing.list_deployments(bedrock, page_size)),
        )
    if read.shares:
        shares = listing.list_owned_shares(clients.ram(account, region), page_size)
        state = dataclasses.replace(state, shares=_by_arn(shares))
    if read.invitations:
        invitations = listing.list_invitations(clients.ram(account, region), page_size)
        state = dataclasses.replace(state, invitations=_by_arn(invitations))
    return state


def _read_resource_tags(clients: AwsClients, scope: Scope, arn: str) -> dict[str, str]:
    response = clients.bedrock(scope.account, scope.region).list_tags_for_resource(resourceARN=arn)
    return tags_to_dict(response.get("tags"))


class _HasArn(Protocol):
    @property
    def arn(self) -> str: ...


ArnItem = TypeVar("ArnItem", bound=_HasArn)


def _by_arn(items: Sequence[ArnItem]) -> tuple[ArnItem, ...]:
    # AWS's listing order is not guaranteed across calls; a stable order keeps the state's fingerprint
    # (recorded in saved plans) from changing when nothing did.
    return tuple(sorted(items, key=lambda item: item.arn))


def relevant_invitations_only(states: Mapping[Scope, ScopeState]) -> dict[Scope, ScopeState]:
    """Keep PENDING invitations (they may need accepting) and any invitation to a share we read.

    A recipient accumulates accepted/rejected invitations to unrelated shares; only those for shares owned
    in the scopes we read can matter to the plan.
    """
    known_shares = {share.arn for state in states.values() for share in state.shares}
    return {
        scope: dataclasses.replace(
            state,
            invitations=tuple(
                invitation
                for invitation in state.invitations
                if invitation.status == "PENDING" or invitation.share_arn in known_shares
            ),
        )
        for scope, state in states.items()
    }


# -- fan-out and error collection --------------------------------------------------------------------------


def run_all(
    tasks: Mapping[Key, Callable[[], Result]],
    *,
    scope_of: Callable[[Key], Scope],
    max_workers: int,
    subject_of: Callable[[Key], str] | None = None,
) -> dict[Key, Result]:
    """Run every task (at most `max_workers` at a time, at most MAX_CALLS_PER_SCOPE of one scope) and
    wait for all of them, even after a failure.

    AWS failures are collected into one AwsReadError, each message prefixed with the task's subject (e.g.
    the ARN whose tags could not be read) when `subject_of` is given; any other exception is a bug and is
    re-raised as is.
    """
    if not tasks:
        return {}
    lanes = _lanes(tasks, scope_of)
    outcomes: dict[Key, tuple[Result | None, BaseException | None]] = {}
    workers = max(1, min(max_workers, len(lanes)))
    with fewer_collections(), ThreadPoolExecutor(max_workers=workers) as pool:
        wait([pool.submit(_run_lane, lane, tasks, outcomes) for lane in lanes])
    results: dict[Key, Result] = {}
    failures: list[ScopeFailure] = []
    for key in tasks:
        result, error = outcomes[key]
        if error is None:
            results[key] = result  # type: ignore[assignment]  # None only when an error is set
            continue
        message = _describe_aws_failure(error)
        if message is None:
            raise error
        if subject_of is not None:
            message = f"{subject_of(key)}: {message}"
        scope = scope_of(key)
        failures.append(ScopeFailure(scope.account, scope.region, message))
    if failures:
        raise AwsReadError(failures)
    return results


def _lanes(tasks: Mapping[Key, object], scope_of: Callable[[Key], Scope]) -> list[list[Key]]:
    """The tasks in lanes run one after another: a scope's tasks dealt over at most MAX_CALLS_PER_SCOPE
    lanes, so that a scope never has more calls in flight whatever the number of workers."""
    by_scope: dict[Scope, list[Key]] = {}
    for key in tasks:
        by_scope.setdefault(scope_of(key), []).append(key)
    lanes: list[list[Key]] = []
    for keys in by_scope.values():
        count = min(MAX_CALLS_PER_SCOPE, len(keys))
        lanes += [keys[start::count] for start in range(count)]
    return lanes


def _run_lane(
    lane: Sequence[Key],
    tasks: Mapping[Key, Callable[[], Result]],
    outcomes: dict[Key, tuple[Result | None, BaseException | None]],
) -> None:
    for key in lane:
        try:
            outcomes[key] = (tasks[key](), None)
        except Exception as error:  # judged by the caller, once every task has run
            outcomes[key] = (None, error)


def _describe_aws_failure(error: BaseException) -> str | None:
    """What AWS (or the way to it) said, with the operation and error code; None if not an AWS failure."""
    if isinstance(error, AwsReadError):
        return None  # never nested: tasks raise single-scope errors only
    if isinstance(error, AwsAccessError):
        return str(error).removeprefix(f"account {error.account}, Region {error.region}: ")
    if isinstance(error, RoleAssumptionError):
        return error.describe()
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        code = details.get("Code", "Unknown")
        text = f"{error.operation_name}: {code}: {details.get('Message', str(error))}"
        attempts = int(error.response.get("ResponseMetadata", {}).get("RetryAttempts", 0) or 0) + 1
        if attempts > 1:
            text += (
                f" (gave up after {attempts} attempts with backoff; AWS kept refusing: try again later"
                + (", or lower --max-workers)" if "thrott" in str(code).lower() else ")")
            )
        return text
    if isinstance(error, BotoCoreError):
        return f"{type(error).__name__}: {error}"
    return None
