"""Deterministic names and idempotency tokens for what the reconciler creates.

Every generated name is valid against botocore's patterns: `targetModelName` and `modelDeploymentName`
match `([0-9a-zA-Z][_-]?){1,63}`, `provisionedModelName` `([0-9a-zA-Z][_-]?)+` (1-63 characters). The
manifests' names are lowercase words joined by single hyphens, so joining them with `-` keeps that shape.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

MAX_NAME_LENGTH = 63
SHARE_PREFIX = "bedrock-gitops"
TOKEN_PREFIX = "bgo-"
# The request members that carry an idempotency token (Bedrock's and RAM's names).
TOKEN_MEMBERS = frozenset({"clientRequestToken", "clientToken"})
_HASH_SUFFIX_LENGTH = 8


def bounded_name(*parts: str) -> str:
    """`parts` joined with `-`; a result over 63 characters is cut and suffixed with 8 hex digits of its
    sha256, so distinct long names stay distinct."""
    name = "-".join(parts)
    if len(name) <= MAX_NAME_LENGTH:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:_HASH_SUFFIX_LENGTH]
    head = name[: MAX_NAME_LENGTH - _HASH_SUFFIX_LENGTH - 1].rstrip("-_")
    return f"{head}-{digest}"


def share_name(model: str, version: str) -> str:
    return bounded_name(SHARE_PREFIX, model, version)


def copy_name(model: str, version: str) -> str:
    return bounded_name(model, version)


def capacity_name(environment: str, model: str) -> str:
    """Version-free on purpose: a version bump repoints the same throughput or deployment."""
    return bounded_name(environment, model)


def resized_capacity_name(environment: str, model: str, units: int, commitment: str) -> str:
    """The provisioned throughput made by a resize, next to the one it replaces (Bedrock cannot change the
    units or commitment of a throughput, and names are unique): `<env>-<model>-<units>u-<commitment>`."""
    return bounded_name(environment, model, f"{units}u", commitment.lower())


def idempotency_token(*identity: str, generation: Iterable[str] = ()) -> str:
    """`bgo-` + 40 hex digits over the request's identity and its generation (e.g. the ARNs of earlier
    copy jobs for the same target): a retry reuses the token, a deliberate re-creation gets a new one."""
    digest = hashlib.sha256()
    for part in (*identity, "\0generation", *sorted(generation)):
        digest.update(part.encode())
        digest.update(b"\0")
    return TOKEN_PREFIX + digest.hexdigest()[:40]


def request_token(
    operation: str, account: str, region: str, params: Mapping[str, Any], *, generation: Iterable[str] = ()
) -> str:
    """The idempotency token of one request: `bgo-` + 40 hex digits over the operation, where it is sent,
    every other member of the request and the generation of the resource. A different request never
    reuses a token (AWS answers that with an idempotency error), and a resource made again after it was
    deleted gets a new one (a token AWS remembers would return the deleted resource)."""
    request = {key: value for key, value in params.items() if key not in TOKEN_MEMBERS}
    canonical = json.dumps([operation, account, region, request], sort_keys=True, default=_unresolved)
    return idempotency_token(canonical, generation=generation)


def _unresolved(value: Any) -> Any:
    """A request value known only after apply (a plan Ref): its name stands for it until it is resolved."""
    return {"$ref": getattr(value, "address", repr(value)), "attribute": getattr(value, "attribute", "")}


def with_token(
    operation: str,
    account: str,
    region: str,
    params: Mapping[str, Any],
    member: str,
    *,
    generation: Iterable[str] = (),
) -> dict[str, Any]:
    """`params` plus its idempotency token in `member` (see `request_token`)."""
    return {**params, member: request_token(operation, account, region, params, generation=generation)}
