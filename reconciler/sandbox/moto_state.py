"""Services moto serves, persisted in the sandbox's state document like the rest of the estate.

moto keeps a service's state in process memory for one `mock_aws()` block; the sandbox lives across CLI runs
and processes in its state document (statefile.py). So moto answers the request, and the document stays the
truth: before a call, moto's backend is rebuilt from the document's part when that part changed since moto
last saw it (another process, or a test editing the document); after a call that may write, the part is
rebuilt from moto's backend. Both happen under the document's lock, so moto's answers are serialised.

    "kms": {"<account>/<region>": {"<key id>": {"description", "state", "policy": "<JSON text>",
                                               "aliases": ["alias/<name>"],
                                               "grants": [{"GrantId", "GranteePrincipal", "Operations",
                                                           "Name"?}]}}}

Key ids are the document's (the example manifests name fixed keys): moto mints random ones, so a key is
made through moto's backend and then filed under its id.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moto.kms.models import kms_backends

State = dict[str, Any]


@dataclass(frozen=True)
class MotoService:
    """How one moto-served service's backend and its part of the state document are kept the same."""

    part: str  # the document's key
    load: Callable[[dict[str, Any]], None]  # document part -> moto's backend (replacing what moto held)
    dump: Callable[[], dict[str, Any]]  # moto's backend -> document part


# -- KMS ----------------------------------------------------------------------------------------------------


def _kms_backends() -> list[tuple[str, str, Any]]:
    return [
        (account, region, backend)
        for account, regions in list(kms_backends.items())
        for region, backend in list(regions.items())
    ]


def _load_kms(part: dict[str, Any]) -> None:
    for _, _, backend in _kms_backends():
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
    for account, region, backend in _kms_backends():
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


SERVICES: dict[str, MotoService] = {"kms": MotoService("kms", _load_kms, _dump_kms)}


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
