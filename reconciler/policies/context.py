"""Helpers shared by the rules: building located findings and reading pins."""

from __future__ import annotations

from reconciler.core.findings import Finding
from reconciler.manifests.model import Environment, Location, ModelPin


def finding(environment: Environment, rule: str, where: Location, message: str, fix: str) -> Finding:
    return Finding(
        rule=rule,
        severity=environment.policies.severity_of(rule),
        message=message,
        fix=fix,
        file=where.file,
        line=where.line,
        column=where.column,
        environment=environment.name,
    )


def pin_where(environment: Environment, pin: ModelPin, key: str) -> Location:
    """Where `key` of `pin` was written ("version", "capacity.modelUnits"...), else the pin itself."""
    return pin.where(key)


def region_where(environment: Environment, pin: ModelPin, region: str) -> Location:
    """Where `region` was declared for `pin`: its own `regions` list, else the environment's."""
    if pin.regions is not None and region in pin.regions:
        return pin.where(f"regions[{pin.regions.index(region)}]")
    if region in environment.regions:
        return environment.where(f"regions[{environment.regions.index(region)}]")
    return environment.where("regions")


def at(where: Location) -> str:
    return f"{where.file}:{where.line}:{where.column}"
