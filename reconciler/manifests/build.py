"""Schema-valid manifest data → typed objects (Model, Environment)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, cast

from reconciler.manifests.model import (
    Backend,
    Capacity,
    Commitment,
    DiscoverRule,
    Environment,
    Location,
    Model,
    ModelPin,
    ModelVersion,
    Policies,
)
from reconciler.manifests.verification import build_verify, soak_seconds
from reconciler.manifests.yaml_nodes import LocatedDocument, Path


def location(document: LocatedDocument, path: Path) -> Location:
    line, column = document.at(path)
    return Location(document.file, line, column)


class _Locations(Mapping[str, Location]):
    """Every value under `prefix`, keyed by its dotted relative path ("account.id", "regions[1]"), worked out
    the first time one is asked for: only findings and errors ask, and building them for every value of a
    large estate was a third of its load."""

    __slots__ = ("_data", "_document", "_prefix", "_table")

    def __init__(self, document: LocatedDocument, prefix: Path, data: Any) -> None:
        self._document = document
        self._prefix = prefix
        self._data = data
        self._table: dict[str, Location] | None = None

    def _all(self) -> dict[str, Location]:
        # Two threads asking at once both build the same table; either result is right.
        if self._table is None:
            self._table = _locations(self._document, self._prefix, self._data)
        return self._table

    def __getitem__(self, key: str) -> Location:
        return self._all()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


def _locations(document: LocatedDocument, prefix: Path, data: Any, label: str = "") -> dict[str, Location]:
    """Every value under `prefix`, keyed by its dotted relative path, e.g. "account.id", "regions[1]"."""
    found: dict[str, Location] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            child = f"{label}.{key}" if label else str(key)
            found[child] = location(document, (*prefix, key))
            found.update(_locations(document, (*prefix, key), value, child))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            child = f"{label}[{index}]"
            found[child] = location(document, (*prefix, index))
            found.update(_locations(document, (*prefix, index), value, child))
    return found


def build_model(document: LocatedDocument) -> Model:
    spec: dict[str, Any] = document.data["spec"]
    source = spec["source"]
    versions = tuple(
        ModelVersion(
            name=version["name"],
            model_arn=version["modelArn"],
            location=location(document, ("spec", "versions", index)),
            evidence=version.get("evidence", {}),
        )
        for index, version in enumerate(spec["versions"])
    )
    return Model(
        name=document.data["metadata"]["name"],
        source_account=source["account"],
        source_region=source["region"],
        versions=versions,
        location=location(document, ("metadata", "name")),
        source_role_arn=source.get("roleArn"),
        locations=_Locations(document, ("spec",), spec),
        discover=build_discover_rule(spec["discover"]) if "discover" in spec else None,
    )


def build_discover_rule(data: dict[str, Any]) -> DiscoverRule:
    return DiscoverRule(
        base_model=data.get("baseModel"),
        name_prefix=data.get("namePrefix"),
        job_name_prefix=data.get("customizationJobNamePrefix"),
    )


def build_environment(document: LocatedDocument) -> Environment:
    spec: dict[str, Any] = document.data["spec"]
    pins = []
    for index, pin in enumerate(spec["models"]):
        capacity = pin["capacity"]
        prefix: Path = ("spec", "models", index)
        pins.append(
            ModelPin(
                model=pin["name"],
                version=pin["version"],
                capacity=Capacity(
                    type=capacity["type"],
                    model_units=capacity.get("modelUnits", 0),
                    commitment=cast(Commitment, capacity.get("commitment", "none")),
                ),
                location=location(document, prefix),
                regions=tuple(pin["regions"]) if "regions" in pin else None,
                locations=_Locations(document, prefix, pin),
            )
        )
    locations = _Locations(document, ("spec",), spec)
    return Environment(
        name=document.data["metadata"]["name"],
        account_id=spec["account"]["id"],
        role_arn=spec["account"]["roleArn"],
        regions=tuple(spec["regions"]),
        models=tuple(pins),
        location=location(document, ("metadata", "name")),
        kms_keys=dict(spec.get("kmsKeys", {})),
        prune=bool(spec.get("prune", False)),
        policies=build_policies(spec.get("policies", {})),
        locations=locations,
        verify=build_verify(spec.get("verify", {}), lambda key: locations.get(key, locations.get("verify"))),
    )


def build_policies(data: dict[str, Any]) -> Policies:
    def strings(key: str) -> tuple[str, ...] | None:
        return tuple(data[key]) if key in data else None

    promoted = data.get("promotedFrom")
    soak = promoted.get("soak") if isinstance(promoted, dict) else None
    return Policies(
        # `promotedFrom: staging` or `promotedFrom: {environment: staging, soak: 24h}`
        promoted_from=promoted.get("environment") if isinstance(promoted, dict) else promoted,
        soak_seconds=soak_seconds(soak) if soak else None,
        soak=soak,
        allowed_regions=strings("allowedRegions"),
        allowed_accounts=strings("allowedAccounts"),
        require_kms=bool(data.get("requireKms", False)),
        required_evidence=data.get("requiredEvidence"),
        max_model_units=data.get("maxModelUnits"),
        allowed_commitments=cast("tuple[Commitment, ...] | None", strings("allowedCommitments")),
        protected=bool(data.get("protected", False)),
        allow_removals=tuple(data.get("allowRemovals", ())),
        severity=dict(data.get("severity", {})),
    )


def build_backend(document: LocatedDocument) -> Backend:
    lock = cast("dict[str, Any]", document.data["spec"]["lock"])
    defaults = Backend()
    return Backend(
        lock_table=str(lock.get("dynamodbTable", defaults.lock_table)),
        lock_region=str(lock.get("region", defaults.lock_region)),
        lock_account=cast("str | None", lock.get("account")),
        lock_role_arn=cast("str | None", lock.get("roleArn")),
        lock_key=str(lock.get("key", defaults.lock_key)),
        lease_seconds=int(lock.get("leaseSeconds", defaults.lease_seconds)),
        location=location(document, ()),
        locations={
            key: location(document, ("spec", "lock", key)) for key in ("account", "roleArn") if key in lock
        },
    )
