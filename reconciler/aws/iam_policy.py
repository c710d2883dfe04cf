"""The least-privilege IAM policy of each account's reconciler role, generated from the AWS operations the
reconciler's code really calls, so that it cannot drift from the code.

Operations are found in the source of the `reconciler` package (not the sandbox, which implements them):
operation names written as strings (the planner's actions, e.g. "CreateModelCopyJob") and client method
calls / paginators (`bedrock.get_paginator("list_custom_models")`, `kms.describe_key(...)`), matched
against botocore's service models. A name several services have (TagResource) goes to the services the
module talks to. Each account then gets the subset its role needs:

- every account read (environments, model sources): the read operations (List*, Get*, Describe*);
- model source accounts: the RAM share operations;
- environment accounts: the Bedrock write operations, accepting RAM invitations, and, for the KMS keys of
  `kmsKeys`, what a model copy needs of its key (reconciler/data/bedrock-support.json);
- the base credentials (the account that runs the reconciler): sts:AssumeRole on the roles, and the
  organization and lock operations made with them.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import botocore.session
from botocore import xform_name

import reconciler
from reconciler.aws.preflight_common import support_data
from reconciler.manifests.model import Manifests

SERVICES = ("bedrock", "bedrock-runtime", "ram", "kms", "organizations", "service-quotas", "sts", "dynamodb")
CLIENT_TYPES = {
    "bedrock": ("BedrockClient", "clients.bedrock(", '"bedrock"'),
    "bedrock-runtime": ('"bedrock-runtime"',),
    "ram": ("RAMClient", "clients.ram(", '"ram"'),
    "kms": ("KMSClient", '"kms"'),
    "organizations": ("OrganizationsClient", '"organizations"'),
    "service-quotas": ("ServiceQuotasClient", '"service-quotas"'),
    "sts": ("STSClient", '"sts"', "_sts_client("),
    "dynamodb": ("DynamoDBClient", '"dynamodb"'),
}
EXCLUDED = ("sandbox",)
READ_PREFIXES = ("Get", "List", "Describe")
# Made with the base credentials, not the account roles.
BASE_OPERATIONS = {("organizations", "ListAWSServiceAccessForOrganization"), ("sts", "AssumeRole")}
BASE_SERVICES = ("dynamodb",)  # the apply lock's table lives in the account that runs the reconciler
RECIPIENT_RAM = {"AcceptResourceShareInvitation", "GetResourceShareInvitations"}
_PASCAL = re.compile(r"^[A-Z][A-Za-z0-9]{2,}$")
# Smoke verification invokes through capacity only (reconciler/aws/verify.py). Converse is authorised by
# the bedrock:InvokeModel action (Bedrock user guide, "Carry out a conversation with the Converse API
# operations": "requires permissions for bedrock:InvokeModel").
RUNTIME = "bedrock-runtime"
IAM_ACTIONS = {(RUNTIME, "Converse"): "InvokeModel"}
CAPACITY_RESOURCES = ("provisioned-model/*", "custom-model-deployment/*")


@cache
def _operations() -> dict[str, frozenset[str]]:
    session = botocore.session.get_session()
    return {s: frozenset(session.get_service_model(s).operation_names) for s in SERVICES}


@cache
def _snake() -> dict[str, dict[str, str]]:
    return {s: {xform_name(op): op for op in ops} for s, ops in _operations().items()}


@cache
def iam_prefix(service: str) -> str:
    """The IAM action prefix of a botocore service (its signing name: service-quotas -> servicequotas)."""
    model = botocore.session.get_session().get_service_model(service)
    return str(model.signing_name)


def _names(tree: ast.AST) -> tuple[set[str], set[str]]:
    """(PascalCase string constants, snake_case method/paginator names) in a module."""
    pascal: set[str] = set()
    snake: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if _PASCAL.match(node.value):
                pascal.add(node.value)
            elif node.value.islower() and "_" in node.value:
                snake.add(node.value)  # get_paginator("list_custom_models")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            snake.add(node.func.attr)
    return pascal, snake


def module_operations(source: str) -> set[tuple[str, str]]:
    """(service, operation) pairs a module's source calls or names."""
    pascal, snake = _names(ast.parse(source))
    mentioned = {s for s, marks in CLIENT_TYPES.items() if any(mark in source for mark in marks)}
    found: set[tuple[str, str]] = set()
    candidates: dict[str, set[str]] = {}
    for service in SERVICES:
        for name in pascal & _operations()[service]:
            candidates.setdefault(name, set()).add(service)
        for name in snake & set(_snake()[service]):
            candidates.setdefault(_snake()[service][name], set()).add(service)
    for operation, services in candidates.items():
        chosen = (services & mentioned) or (services if len(services) == 1 else set())
        found |= {(service, operation) for service in chosen}
    return found


@cache
def called_operations() -> frozenset[tuple[str, str]]:
    """Every (service, operation) the reconciler package calls (see the module docstring)."""
    package = Path(reconciler.__file__).resolve().parent
    found: set[tuple[str, str]] = set()
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package).parts
        if relative[0] in EXCLUDED or path.name == "iam_policy.py":
            continue
        found |= module_operations(path.read_text(encoding="utf-8"))
    return frozenset(found)


def iam_action(service: str, operation: str) -> str:
    return f"{iam_prefix(service)}:{IAM_ACTIONS.get((service, operation), operation)}"


def _actions(pairs: Iterable[tuple[str, str]]) -> list[str]:
    return sorted({iam_action(service, operation) for service, operation in pairs})


def _statement(
    sid: str, actions: list[str], resources: list[str], regions: list[str] | None
) -> dict[str, Any]:
    statement: dict[str, Any] = {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources}
    if regions:
        statement["Condition"] = {"StringEquals": {"aws:RequestedRegion": regions}}
    return statement


def account_policies(manifests: Manifests) -> dict[str, dict[str, Any]]:
    """Account id -> IAM policy document for its reconciler role; key "base" for the base credentials."""
    operations = called_operations()
    reads = {(s, o) for s, o in operations if o.startswith(READ_PREFIXES) and (s, o) not in BASE_OPERATIONS}
    reads -= {(s, o) for s, o in reads if s in ("sts", *BASE_SERVICES)}
    reads -= {("ram", o) for o in RECIPIENT_RAM}
    writes = operations - reads - BASE_OPERATIONS - {(s, o) for s, o in operations if s == RUNTIME}
    sources = {m.source_account: m for m in manifests.models}
    regions: dict[str, set[str]] = {}
    for environment in manifests.environments:
        regions.setdefault(environment.account_id, set()).update(environment.regions)
    for model in manifests.models:
        regions.setdefault(model.source_account, set()).add(model.source_region)
    policies: dict[str, dict[str, Any]] = {}
    for account in sorted(regions):
        where = sorted(regions[account])
        owner = next((e for e in manifests.environments if e.account_id == account), None)
        statements = [_statement("Read", _actions(reads), ["*"], None)]
        if account in sources:
            ram = {(s, o) for s, o in writes if s == "ram" and o not in RECIPIENT_RAM}
            statements.append(_statement("ShareModels", _actions(ram), ["*"], where))
        if owner is not None:
            bedrock = {(s, o) for s, o in writes if s == "bedrock"}
            statements.append(_statement("CopyAndServeModels", _actions(bedrock), ["*"], where))
            if any(m.source_account != account for m in manifests.models):
                statements.append(
                    _statement(
                        "AcceptShares", _actions(("ram", o) for o in sorted(RECIPIENT_RAM)), ["*"], where
                    )
                )
            runtime = {(s, o) for s, o in operations if s == RUNTIME}
            if runtime:  # `verify` and apply's verification: only through this account's capacity
                capacity = [
                    f"arn:aws:bedrock:{region}:{account}:{kind}"
                    for region in where
                    for kind in CAPACITY_RESOURCES
                ]
                statements.append(_statement("InvokeCapacity", _actions(runtime), capacity, None))
            keys = sorted(owner.kms_keys.values())
            if keys:
                kms = list(support_data()["kms"]["targetKeyActions"])
                statements.append(_statement("UseCopyKeys", sorted(kms), keys, None))
        policies[account] = {"Version": "2012-10-17", "Statement": statements}
    roles = sorted(
        {e.role_arn for e in manifests.environments}
        | {m.source_role_arn for m in manifests.models if m.source_role_arn}
    )
    base = [_statement("AssumeReconcilerRoles", ["sts:AssumeRole"], roles, None)]
    organization = sorted(
        {o for s, o in operations if s == "organizations" and ("organizations", o) in BASE_OPERATIONS}
    )
    if organization:
        base.append(
            _statement("ReadOrganization", _actions(("organizations", o) for o in organization), ["*"], None)
        )
    lock = {(s, o) for s, o in operations if s in BASE_SERVICES}
    if lock:
        base.append(_statement("ApplyLock", _actions(lock), ["*"], None))
    policies["base"] = {"Version": "2012-10-17", "Statement": base}
    return policies


def role_of(manifests: Manifests, account: str) -> str:
    return manifests.role_for_account(account) or "(base credentials)"


def allows(policy: Mapping[str, Any], service: str, operation: str) -> bool:
    """Whether `policy` allows the action of (service, operation), ignoring resources and conditions."""
    action = iam_action(service, operation)
    return any(action in statement["Action"] for statement in policy["Statement"])
