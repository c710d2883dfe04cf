"""Live state as plain data. The AWS edge (reconciler.aws.discovery) fills it; the planner reads it.

Field names follow the Bedrock/RAM API responses they come from, in snake_case.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field, fields
from functools import cache
from operator import attrgetter
from typing import Any, NamedTuple, cast


class Scope(NamedTuple):
    """One account in one Region: the unit that discovery reads and apply writes."""

    account: str
    region: str

    def __str__(self) -> str:
        return f"{self.account}/{self.region}"


@dataclass(frozen=True, slots=True)
class LiveCustomModel:
    """From ListCustomModels (owned and shared-with-us models)."""

    arn: str
    name: str
    owner_account: str
    base_model_arn: str
    status: str  # Active | Creating | Failed
    creation_time: str  # ISO 8601


@dataclass(frozen=True, slots=True)
class LiveCopyJob:
    """From ListModelCopyJobs, run in (and listed from) the target account/Region."""

    arn: str
    status: str  # InProgress | Completed | Failed
    source_model_arn: str
    source_account: str
    target_model_name: str
    target_model_arn: str | None
    target_kms_key_arn: str | None
    failure_message: str | None
    creation_time: str
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LiveThroughput:
    """From ListProvisionedModelThroughputs."""

    arn: str
    name: str
    model_arn: str
    desired_model_arn: str
    foundation_model_arn: str
    model_units: int
    desired_model_units: int
    status: str  # Creating | InService | Updating | Failed
    commitment: str | None  # OneMonth | SixMonths | None
    commitment_expiration: str | None  # ISO 8601
    creation_time: str


@dataclass(frozen=True, slots=True)
class LiveDeployment:
    """From ListCustomModelDeployments."""

    arn: str
    name: str
    model_arn: str
    status: str  # Creating | Active | Failed
    creation_time: str


@dataclass(frozen=True, slots=True)
class LiveShare:
    """A RAM resource share owned by this account (GetResourceShares(resourceOwner=SELF) + associations)."""

    arn: str
    name: str
    owner_account: str
    status: str  # PENDING | ACTIVE | FAILED | DELETING | DELETED
    allow_external_principals: bool
    tags: Mapping[str, str]
    # Only associations in ASSOCIATED or ASSOCIATING state.
    resource_arns: frozenset[str]
    principals: frozenset[str]


@dataclass(frozen=True, slots=True)
class LiveInvitation:
    """A RAM invitation received by this account (GetResourceShareInvitations)."""

    arn: str
    share_arn: str
    share_name: str
    sender_account: str
    receiver_account: str
    status: str  # PENDING | ACCEPTED | REJECTED | EXPIRED


@dataclass(frozen=True, slots=True)
class ScopeState:
    """Everything read in one account/Region."""

    account: str
    region: str
    custom_models: tuple[LiveCustomModel, ...] = ()
    copy_jobs: tuple[LiveCopyJob, ...] = ()
    throughputs: tuple[LiveThroughput, ...] = ()
    deployments: tuple[LiveDeployment, ...] = ()
    shares: tuple[LiveShare, ...] = ()
    invitations: tuple[LiveInvitation, ...] = ()

    @property
    def scope(self) -> Scope:
        return Scope(self.account, self.region)


@dataclass(frozen=True, slots=True)
class LiveState:
    scopes: Mapping[Scope, ScopeState]
    # Resource ARN -> tags, for the resources whose tags were read on purpose (see core.tag_reads).
    tags: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def scope(self, account: str, region: str) -> ScopeState:
        """The state of one account/Region; empty if it was not read."""
        # The plain tuple finds the Scope key (a NamedTuple hashes and compares as its tuple) without building
        # one: the planner asks this for every desired resource.
        key: Any = (account, region)
        return self.scopes.get(key) or ScopeState(account, region)

    def with_tags(self, tags: Mapping[str, Mapping[str, str]]) -> LiveState:
        return LiveState(self.scopes, {**self.tags, **tags})

    def fingerprint(self) -> str:
        """sha256 of a canonical form: a saved plan records it to detect that AWS changed since.

        Each scope as compact JSON with sorted keys, records as their field values in class order (fixed
        by the classes) and sets sorted. The C encoder walks the values; only records and sets come back
        to Python (`_plain`): this runs over every live resource of every plan (100,000 resources in about
        0.5 s; canonical tuples and their `repr` took 2 s)."""
        digest = hashlib.sha256()
        encode = json.JSONEncoder(
            default=_plain, sort_keys=True, separators=(",", ":"), check_circular=False
        ).encode
        for key in sorted(self.scopes):
            digest.update(encode(self.scopes[key]).encode())
        for arn in sorted(self.tags):
            digest.update(encode([arn, self.tags[arn]]).encode())
        return digest.hexdigest()


@cache
def field_names(cls: Any) -> tuple[str, ...]:
    """A record class's field names, in class order (asked once per class)."""
    return tuple(f.name for f in fields(cls))


@cache
def _field_values(cls: Any) -> Callable[[Any], tuple[Any, ...]]:
    getter = attrgetter(*field_names(cls))
    if len(field_names(cls)) == 1:
        return lambda value: (getter(value),)
    return getter


_RECORD_VALUES: dict[type, Callable[[Any], tuple[Any, ...]]] = {}


def _plain(value: Any) -> Any:
    """What the JSON encoder cannot take as is: a record (its field values), a set (sorted), a mapping
    that is not a dict. Records first, by their type: they are nearly every call."""
    values = _RECORD_VALUES.get(type(value))
    if values is not None:
        return values(value)
    if isinstance(value, frozenset | set):
        return sorted(value)
    if isinstance(value, Mapping):
        return dict(value)
    values = _RECORD_VALUES[type(value)] = _field_values(cast("Hashable", type(value)))
    return values(value)
