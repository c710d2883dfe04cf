"""Checks on `spec.policies` that a schema cannot make: promotedFrom names another environment (and does
not loop back), requiredEvidence is itself a valid JSON Schema."""

from __future__ import annotations

import difflib
from collections.abc import Sequence, Set

from reconciler.errors import ManifestError
from reconciler.manifests.model import Environment
from reconciler.manifests.schema import json_schema_problem


def policy_errors(
    environments: Sequence[Environment], *, unusable_environments: Set[str] = frozenset()
) -> list[ManifestError]:
    """`unusable_environments`: names of environments whose own file has errors (already reported)."""
    errors: list[ManifestError] = []
    by_name = {environment.name: environment for environment in environments}
    for environment in environments:
        policies = environment.policies
        source = policies.promoted_from
        if source is not None:
            # The name itself: `promotedFrom: staging`, or `environment: staging` in the soak form.
            where = environment.locations.get(
                "policies.promotedFrom.environment", environment.where("policies.promotedFrom")
            )
            if source == environment.name:
                errors.append(
                    ManifestError(
                        where.file,
                        where.line,
                        where.column,
                        f"environment '{environment.name}' cannot be promoted from itself",
                        "name the environment versions must pass through first, e.g. promotedFrom: staging",
                    )
                )
            elif source in unusable_environments and source not in by_name:
                pass
            elif source not in by_name:
                close = difflib.get_close_matches(source, sorted(by_name), n=1)
                errors.append(
                    ManifestError(
                        where.file,
                        where.line,
                        where.column,
                        f"promotedFrom names environment '{source}', which is not defined in environments/",
                        f"did you mean '{close[0]}'?"
                        if close
                        else f"known environments: {', '.join(sorted(by_name))}",
                    )
                )
            else:
                cycle = _cycle(environment.name, by_name)
                if cycle:
                    errors.append(
                        ManifestError(
                            where.file,
                            where.line,
                            where.column,
                            f"promotedFrom makes a loop: {' <- '.join(cycle)}",
                            "promotion flows one way (e.g. prod <- staging <- dev): remove one promotedFrom",
                        )
                    )
        if policies.required_evidence is not None:
            error = json_schema_problem(policies.required_evidence)
            if error is not None:
                path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
                key = f"policies.requiredEvidence{path}"
                where = environment.where(key)
                if where == environment.location:
                    where = environment.where("policies.requiredEvidence")
                errors.append(
                    ManifestError(
                        where.file,
                        where.line,
                        where.column,
                        f"requiredEvidence is not a valid JSON Schema: {error.message}",
                        "write a JSON Schema (draft 2020-12) over the evidence, e.g. "
                        "{required: [approvedBy], properties: {evaluation: {properties: "
                        "{accuracy: {minimum: 0.85}}}}}",
                    )
                )
    return errors


def _cycle(start: str, by_name: dict[str, Environment]) -> list[str]:
    """[start, ..., start] when following promotedFrom from `start` comes back to it, else []."""
    seen = [start]
    current = by_name[start].policies.promoted_from
    while current is not None and current in by_name:
        seen.append(current)
        if current == start:
            return seen
        if current in seen[:-1]:
            return []  # a loop that does not include `start`: reported from its own members
        current = by_name[current].policies.promoted_from
    return []
