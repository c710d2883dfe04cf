"""Preflight, KMS: the target key of each copy the plan makes, and the key of an encrypted source model,
exist, are enabled, and let the principals that will use them do so (key policy or grants)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from reconciler.aws.clients import AwsClients
from reconciler.aws.kms_access import missing_actions, statement_for
from reconciler.aws.preflight_common import CHECK_ERRORS, code_of, support_data
from reconciler.core.desired import DesiredCopy
from reconciler.core.findings import Finding, Severity
from reconciler.manifests.model import Location

if TYPE_CHECKING:
    from reconciler.aws.preflight import Preflight


def _copies_made(pf: Preflight) -> list[DesiredCopy]:
    made = {
        a.address for a in pf.plan.actions if a.change == "create" and a.operation == "CreateModelCopyJob"
    }
    return [c for c in pf.desired.copies if c.address in made]


def kms_findings(pf: Preflight) -> Iterator[Finding]:
    actions = support_data()["kms"]
    read = _KeyReader(pf.clients)
    for copy in _copies_made(pf):
        environment = pf.environment_of(copy.account)
        if environment is None or copy.kms_key is None:
            continue
        where = environment.where(f"kmsKeys.{copy.region}")
        yield from _check_key(
            pf,
            read,
            copy.kms_key,
            copy.account,
            copy.region,
            [environment.role_arn],
            actions["targetKeyActions"],
            where,
            environment.name,
            f"the target key of {copy.address}",
        )
    for source_arn, copies in _by_source(_copies_made(pf)).items():
        first = copies[0]
        model = next(m for m in pf.manifests.models if m.name == first.model)
        try:
            details = pf.clients.bedrock(model.source_account, model.source_region).get_custom_model(
                modelIdentifier=source_arn
            )
        except CHECK_ERRORS as error:
            yield pf.unchecked("kms", model.source_account, model.source_region, f"model {source_arn}", error)
            continue
        key = details.get("modelKmsKeyArn")
        if not key:
            continue
        recipients = sorted({c.account for c in copies if c.account != model.source_account})
        version = model.version(first.version)
        where = version.location if version else model.location
        for account in recipients:
            environment = pf.environment_of(account)
            principal = environment.role_arn if environment else f"arn:aws:iam::{account}:root"
            yield from _check_key(
                pf,
                read,
                key,
                model.source_account,
                model.source_region,
                [principal],
                actions["sourceKeyActions"],
                where,
                environment.name if environment else None,
                f"the key of source model {first.model} {first.version} (for the copy into {account})",
            )


def _check_key(
    pf: Preflight,
    read: _KeyReader,
    key: str,
    account: str,
    region: str,
    principals: list[str],
    needed: list[str],
    where: Location,
    environment: str | None,
    what: str,
) -> Iterator[Finding]:
    key_account, key_region = account, region
    if key.startswith("arn:"):
        parts = key.split(":")
        key_region, key_account = parts[3], parts[4]

    def finding(severity: Severity, message: str, fix: str) -> Finding:
        return pf.make_finding(
            "kms",
            severity,
            where,
            message,
            fix,
            environment=environment,
            account=key_account,
            region=key_region,
        )

    if key_region != region:
        yield finding(
            "error",
            f"{what} is {key}, a key in {key_region}, but the copy is made in {region}",
            f"use a key of {region} for {region}",
        )
        return
    try:
        state, policy, grants = read(key, key_account, key_region)
    except CHECK_ERRORS as error:
        if code_of(error) == "NotFoundException":
            yield finding(
                "error",
                f"{what} is {key}, which does not exist in {key_account} {key_region}",
                f"create the key (or fix kmsKeys.{region}) and plan again",
            )
        else:
            yield pf.unchecked("kms", key_account, key_region, f"{what} ({key})", error)
        return
    if state != "Enabled":
        yield finding(
            "error",
            f"{what} is {key}, which is {state}",
            "enable the key (kms EnableKey / CancelKeyDeletion) or use another one",
        )
        return
    missing = missing_actions(policy, grants, principals, needed)
    if missing:
        yield finding(
            "error",
            f"{what} is {key}, whose key policy (and grants) do not allow {', '.join(principals)} to "
            f"{', '.join(missing)}",
            f"add this statement to the key policy: {statement_for(principals[0], missing)}",
        )


class _KeyReader:
    """DescribeKey + GetKeyPolicy + ListGrants once per key, in the key's account and Region."""

    def __init__(self, clients: AwsClients) -> None:
        self.clients = clients
        self.cache: dict[tuple[str, str, str], tuple[str, str, list[dict[str, Any]]]] = {}

    def __call__(self, key: str, account: str, region: str) -> tuple[str, str, list[dict[str, Any]]]:
        cached = self.cache.get((key, account, region))
        if cached is None:
            kms = self.clients.client("kms", account, region)
            state = kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"]
            policy = kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"]
            grants = [
                g for page in kms.get_paginator("list_grants").paginate(KeyId=key) for g in page["Grants"]
            ]
            cached = (state, policy, grants)
            self.cache[(key, account, region)] = cached
        return cached


def _by_source(copies: list[DesiredCopy]) -> dict[str, list[DesiredCopy]]:
    found: dict[str, list[DesiredCopy]] = {}
    for copy in copies:
        found.setdefault(copy.source_model_arn, []).append(copy)
    return found
