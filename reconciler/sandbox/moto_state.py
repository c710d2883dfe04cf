"""Services moto serves (KMS, DynamoDB), persisted in the sandbox's state document like the rest of the
estate.

moto keeps a service's state in process memory for one `mock_aws()` block; the sandbox lives across CLI runs
and processes in its state document (statefile.py). So moto answers the request, and the document stays the
truth: before a call, moto's backend is rebuilt from the document's part when that part changed since moto
last saw it (another process, or a test editing the document); after a call that may write, the part is
rebuilt from moto's backend. Both happen under the document's lock, so moto's answers are serialised.

    "kms": {"<account>/<region>": {"<key id>": {"description", "state", "policy": "<JSON text>",
                                               "aliases": ["alias/<name>"],
                                               "grants": [{"GrantId", "GranteePrincipal", "Operations",
                                                           "Name"?}]}}}

    "dynamodb": {"<account>/<region>": {"<table>": {"key": "<partition key attribute>",
                                                   "items": {"<key value>": {<item, DynamoDB JSON>}}}}}

Key ids are the document's (the example manifests name fixed keys): moto mints random ones, so a key is
made through moto's backend and then filed under its id. Tables are the apply lock's: a string partition
key, no sort key, on demand.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moto.dynamodb.models import dynamodb_backends
from moto.kms.models import kms_backends

from reconciler.sandbox.api import SimulatedError

State = dict[str, Any]


@dataclass(frozen=True)
class MotoService:
    """How one moto-served service's backend and its part of the state document are kept the same."""

    part: str  # the document's key
    load: Callable[[dict[str, Any]], None]  # document part -> moto's backend (replacing what moto held)
    dump: Callable[[], dict[str, Any]]  # moto's backend -> document part
    # What moto gets wrong, refused before moto sees it: (operation, input members) -> SimulatedError or None.
    refuse: Callable[[str, dict[str, Any]], SimulatedError | None] = lambda _operation, _params: None


def _regional_backends(backends: Any) -> list[tuple[str, str, Any]]:
    """(account, region, backend) for each backend moto has made so far of a service's backend dict."""
    return [
        (account, region, backend)
        for account, regions in list(backends.items())
        for region, backend in list(regions.items())
    ]


# -- KMS ----------------------------------------------------------------------------------------------------


def _load_kms(part: dict[str, Any]) -> None:
    for _, _, backend in _regional_backends(kms_backends):
        backend.keys.clear()
    for scope, keys in part.items():
        account, region = scope.split("/", 1)
        backend = kms_backends[account][region]
        for key_id, document in keys.items():
            key = backend.create_key(
                document.get("policy"),
                "ENCRYPT_DECRYPT",
                "SYMMETRIC_DEFAULT",
                str(document.get("description", "")),
                None,
            )
            del backend.keys[key.id]
            key.id = key_id
            key.arn = f"arn:aws:kms:{region}:{account}:key/{key_id}"
            key.key_state = str(document.get("state", "Enabled"))
            key.enabled = key.key_state == "Enabled"
            for grant_document in document.get("grants", []):
                grant = key.add_grant(
                    str(grant_document.get("Name", "")),
                    str(grant_document["GranteePrincipal"]),
                    list(grant_document["Operations"]),
                    constraints={},
                    retiring_principal="",
                )
                del key.grants[grant.id]
                grant.id = str(grant_document["GrantId"])
                key.grants[grant.id] = grant
            backend.keys[key_id] = key
            for alias in document.get("aliases", []):
                backend.create_alias(key_id, str(alias))


def _dump_kms() -> dict[str, Any]:
    part: dict[str, Any] = {}
    for account, region, backend in _regional_backends(kms_backends):
        for key_id, key in backend.keys.items():
            grants = [
                {
                    "GrantId": grant.id,
                    "GranteePrincipal": grant.grantee_principal,
                    "Operations": list(grant.operations),
                    **({"Name": grant.name} if grant.name else {}),
                }
                for grant in key.grants.values()
            ]
            part.setdefault(f"{account}/{region}", {})[key_id] = {
                "description": key.description,
                "state": key.key_state,
                "policy": key.policy,
                **({"aliases": sorted(key.aliases)} if key.aliases else {}),
                **({"grants": grants} if grants else {}),
            }
    return part


# -- DynamoDB -----------------------------------------------------------------------------------------------


def _load_dynamodb(part: dict[str, Any]) -> None:
    for _, _, backend in _regional_backends(dynamodb_backends):
        backend.tables.clear()
    for scope, tables in part.items():
        account, region = scope.split("/", 1)
        backend = dynamodb_backends[account][region]
        for name, table in tables.items():
            key = str(table["key"])
            backend.create_table(
                name,
                schema=[{"AttributeName": key, "KeyType": "HASH"}],
                throughput=None,
                attr=[{"AttributeName": key, "AttributeType": "S"}],
                global_indexes=None,
                indexes=None,
                streams=None,
                billing_mode="PAY_PER_REQUEST",
                sse_specification=None,
                tags=[],
                deletion_protection_enabled=False,
                warm_throughput=None,
            )
            for item in table.get("items", {}).values():
                backend.put_item(name, item)


def _dump_dynamodb() -> dict[str, Any]:
    part: dict[str, Any] = {}
    for account, region, backend in _regional_backends(dynamodb_backends):
        for name, table in backend.tables.items():
            items = {
                str(item.attrs[table.hash_key_attr].value): item.to_json()["Attributes"]
                for item in table.all_items()
            }
            part.setdefault(f"{account}/{region}", {})[name] = {"key": table.hash_key_attr, "items": items}
    return part


_ATTRIBUTE_NAME = re.compile(r"#[A-Za-z0-9_]+")


def _refuse_dynamodb(_operation: str, params: dict[str, Any]) -> SimulatedError | None:
    """An expression naming an attribute (#name) that ExpressionAttributeNames does not define: moto 5 fails
    with a KeyError (an HTTP 500) where DynamoDB answers a ValidationException ("Expression attribute names
    (aliases) in DynamoDB",
    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ExpressionAttributeNames.html)."""
    defined = set(params.get("ExpressionAttributeNames", {}))
    for member in ("ConditionExpression", "UpdateExpression", "ProjectionExpression"):
        for name in _ATTRIBUTE_NAME.findall(str(params.get(member, ""))):
            if name not in defined:
                return SimulatedError(
                    "ValidationException",
                    "Invalid " + member + ": An expression attribute name used in the document path is not "
                    f"defined; attribute name: {name}",
                )
    return None


SERVICES: dict[str, MotoService] = {
    "kms": MotoService("kms", _load_kms, _dump_kms),
    "dynamodb": MotoService("dynamodb", _load_dynamodb, _dump_dynamodb, _refuse_dynamodb),
}


class MotoSync:
    """Per open estate: what moto last saw of each part (its JSON text), to rebuild only on a change."""

    def __init__(self) -> None:
        self._seen: dict[str, str] = {}

    def before(self, service: str, state: State) -> None:
        sync = SERVICES[service]
        part = state.get(sync.part) or {}
        text = json.dumps(part, sort_keys=True)
        if self._seen.get(service) != text:
            sync.load(part)
            self._seen[service] = text

    def after_write(self, service: str, state: State) -> None:
        sync = SERVICES[service]
        part = sync.dump()
        state[sync.part] = part
        self._seen[service] = json.dumps(part, sort_keys=True)
