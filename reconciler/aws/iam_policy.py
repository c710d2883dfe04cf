"""The least-privilege IAM policy of each role, generated from the grant table (reconciler/aws/iam_grants.py)
and the manifests: which accounts play which roles, in which Regions, with which keys, roles and table.

`called_operations` scans the package's source (not the sandbox, which implements the calls) for the AWS
operations it calls: operation names written as strings (the planner's actions, e.g. "CreateModelCopyJob")
and client method calls / paginators (`bedrock.get_paginator("list_custom_models")`) / methods passed to be
called (`_pages(bedrock.list_custom_models, ...)`), matched against
botocore's service models. A test keeps the grant table equal to that scan, so the policy cannot drift
from the code.
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
from reconciler import MANAGED_BY_TAG, MANAGED_BY_VALUE
from reconciler.aws.iam_grants import ACTION_OF, GRANTS, Grant, Role
from reconciler.manifests.model import Manifests

SERVICES = (
    "bedrock",
    "bedrock-runtime",
    "ram",
    "kms",
    "organizations",
    "service-quotas",
    "sts",
    "dynamodb",
)
CLIENT_TYPES = {
    "bedrock": ("BedrockClient", "clients.bedrock(", '"bedrock"'),
    "bedrock-runtime": ('"bedrock-runtime"', "BedrockRuntimeClient"),
    "ram": ("RAMClient", "clients.ram(", '"ram"'),
    "kms": ("KMSClient", '"kms"'),
    "organizations": ("OrganizationsClient", '"organizations"'),
    "service-quotas": ("ServiceQuotasClient", '"service-quotas"'),
    "sts": ("STSClient", '"sts"', "_sts_client("),
    "dynamodb": ("DynamoDBClient", '"dynamodb"'),
}
EXCLUDED = ("sandbox",)
_PASCAL = re.compile(r"^[A-Z][A-Za-z0-9]{2,}$")
POLICY_VERSION = "2012-10-17"
TAG_PREFIX = MANAGED_BY_TAG.split(":", 1)[0] + ":*"


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


def iam_action(service: str, operation: str) -> str:
    return f"{iam_prefix(service)}:{ACTION_OF.get((service, operation), operation)}"


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
        elif isinstance(node, ast.Call):
            if isinstance(node.func, ast.Attribute):
                snake.add(node.func.attr)
            # A client method handed over to be called: `_pages(bedrock.list_custom_models, ...)`.
            snake.update(arg.attr for arg in node.args if isinstance(arg, ast.Attribute))
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
        if relative[0] in EXCLUDED or path.name in ("iam_policy.py", "iam_grants.py"):
            continue
        found |= module_operations(path.read_text(encoding="utf-8"))
    return frozenset(found)


# -- roles of an account --------------------------------------------------------------------------------


def account_roles(manifests: Manifests, account: str) -> set[Role]:
    roles: set[Role] = set()
    if any(e.account_id == account for e in manifests.environments):
        roles |= {"reader", "target"}
    if any(m.source_account == account for m in manifests.models):
        roles |= {"reader", "source"}
    if manifests.backend.lock_account == account:
        roles.add("lock")
    return roles


def _regions(manifests: Manifests, account: str) -> list[str]:
    regions: set[str] = set()
    for environment in manifests.environments:
        if environment.account_id == account:
            regions.update(environment.regions)
            for pin in environment.models:
                model = manifests.model(pin.model)
                if model is not None:
                    regions.add(model.source_region)  # invitations and shared models show up there
    regions |= {m.source_region for m in manifests.models if m.source_account == account}
    if manifests.backend.lock_account == account:
        regions.add(manifests.backend.lock_region)
    return sorted(regions)


def _partition(manifests: Manifests) -> str:
    roles = [e.role_arn for e in manifests.environments]
    return roles[0].split(":")[1] if roles else "aws"


def _source_models(manifests: Manifests, account: str) -> list[str]:
    """The modelArns this account shares (its own versions) or copies and serves (the versions it pins)."""
    arns = {v.model_arn for m in manifests.models if m.source_account == account for v in m.versions}
    for environment in manifests.environments:
        if environment.account_id == account:
            for pin in environment.models:
                model = manifests.model(pin.model)
                if model is not None:
                    arns |= {v.model_arn for v in model.versions}
    return sorted(arns)


def _resources(
    manifests: Manifests, account: str | None, kinds: tuple[str, ...], base: str | None
) -> list[str]:
    partition = _partition(manifests)
    regions = _regions(manifests, account) if account else []
    bedrock = {
        "custom-model": "custom-model/*",
        "model-copy-job": "model-copy-job/*",
        "provisioned-model": "provisioned-model/*",
        "custom-model-deployment": "custom-model-deployment/*",
        "model-customization-job": "model-customization-job/*",
        "evaluation-job": "evaluation-job/*",
    }
    if "*" in kinds:
        return ["*"]
    # Region by Region, each of the account's bedrock resource types in the grant's order.
    found: list[str] = [
        f"arn:{partition}:bedrock:{r}:{account}:{bedrock[kind]}"
        for r in regions
        for kind in kinds
        if kind in bedrock
    ]
    for kind in kinds:
        if kind == "foundation-model":
            found += [f"arn:{partition}:bedrock:{r}::foundation-model/*" for r in regions]
        elif kind == "source-models" and account:
            found += _source_models(manifests, account)
        elif kind == "resource-share":
            found += [f"arn:{partition}:ram:{r}:{account}:resource-share/*" for r in regions]
        elif kind == "resource-share-invitation":
            found += [f"arn:{partition}:ram:{r}:*:resource-share-invitation/*" for r in regions]
        elif kind == "own-keys":
            found += [f"arn:{partition}:kms:{r}:{account}:key/*" for r in regions]
        elif kind == "copy-keys":
            found += sorted(
                key for e in manifests.environments if e.account_id == account for key in e.kms_keys.values()
            )
        elif kind == "lock-table":
            backend = manifests.backend
            owner = backend.lock_account or base or "*"
            found.append(f"arn:{partition}:dynamodb:{backend.lock_region}:{owner}:table/{backend.lock_table}")
        elif kind == "roles":
            roles = {e.role_arn for e in manifests.environments}
            roles |= {m.source_role_arn for m in manifests.models if m.source_role_arn}
            if manifests.backend.lock_role_arn:
                roles.add(manifests.backend.lock_role_arn)
            found += sorted(roles)
    return list(dict.fromkeys(found))


def _condition(manifests: Manifests, account: str | None, kinds: Iterable[str]) -> dict[str, Any]:
    condition: dict[str, dict[str, Any]] = {}

    def put(operator: str, key: str, value: Any) -> None:
        condition.setdefault(operator, {})[key] = value

    for kind in kinds:
        if kind == "region" and account:
            put("StringEquals", "aws:RequestedRegion", _regions(manifests, account))
        elif kind == "managed":
            put("StringEquals", f"aws:ResourceTag/{MANAGED_BY_TAG}", MANAGED_BY_VALUE)
        elif kind == "create-tags":
            put("StringEquals", f"aws:RequestTag/{MANAGED_BY_TAG}", MANAGED_BY_VALUE)
            put("ForAllValues:StringLike", "aws:TagKeys", [TAG_PREFIX])
        elif kind == "private-share":
            put("Bool", "ram:RequestedAllowsExternalPrincipals", "false")
            put("StringEquals", "ram:RequestedResourceType", "bedrock:CustomModel")
        elif kind == "from-sources":
            put(
                "StringEquals",
                "ram:ShareOwnerAccountId",
                sorted({m.source_account for m in manifests.models}),
            )
    return condition


def _statement(grant: Grant, manifests: Manifests, account: str | None, base: str | None) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": grant.sid,
        "Effect": "Allow",
        "Action": sorted({iam_action(grant.service, operation) for operation in grant.operations}),
        "Resource": _resources(manifests, account, grant.resources, base),
    }
    condition = _condition(manifests, account, grant.conditions)
    if condition:
        statement["Condition"] = condition
    return statement


def role_policy(
    manifests: Manifests, roles: Iterable[Role], account: str | None, base: str | None = None
) -> dict[str, Any]:
    wanted = set(roles)
    statements = [_statement(grant, manifests, account, base) for grant in GRANTS if grant.role in wanted]
    statements = [s for s in statements if s["Resource"]]  # e.g. no kmsKeys: no key statement
    return {"Version": POLICY_VERSION, "Statement": statements}


def account_policies(manifests: Manifests) -> dict[str, dict[str, Any]]:
    """Account id -> IAM policy document for its reconciler role; key "base" for the base credentials (with
    the lock's table when the lock has no account of its own)."""
    accounts = {e.account_id for e in manifests.environments} | {m.source_account for m in manifests.models}
    if manifests.backend.lock_account:
        accounts.add(manifests.backend.lock_account)
    policies = {
        account: role_policy(manifests, sorted(account_roles(manifests, account)), account)
        for account in sorted(accounts)
    }
    base_roles: list[Role] = ["base"] if manifests.backend.lock_account else ["base", "lock"]
    policies["base"] = role_policy(manifests, base_roles, None)
    return policies


def role_of(manifests: Manifests, account: str) -> str:
    return manifests.role_for_account(account) or "(base credentials)"


def _statement_allows(statement: Mapping[str, Any], action: str, region: str | None) -> bool:
    if action not in statement["Action"]:
        return False
    regions = statement.get("Condition", {}).get("StringEquals", {}).get("aws:RequestedRegion")
    return region is None or regions is None or region in regions


def allows(policy: Mapping[str, Any], service: str, operation: str, region: str | None = None) -> bool:
    """Whether `policy` allows (service, operation) [in `region`, by its aws:RequestedRegion conditions];
    resources and the other conditions are not evaluated here."""
    action = iam_action(service, operation)
    return any(_statement_allows(statement, action, region) for statement in policy["Statement"])


def granted_actions(policy: Mapping[str, Any]) -> set[str]:
    return {action for statement in policy["Statement"] for action in statement["Action"]}
