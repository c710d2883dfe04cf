"""Plans as JSON: the `--json` output and the saved plan file (`plan -out FILE`, `show FILE`, `apply FILE`).

The shape is documented by schemas/plan.schema.json; `Ref` values ("known after apply") are written as
{"$ref": address, "attribute": attribute}.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from reconciler.core.plan import PLAN_FORMAT_VERSION, Action, Plan, Ref, Removal
from reconciler.errors import ReconcilerError
from reconciler.manifests.schema import SCHEMA_DIR


def _encode(value: Any) -> Any:
    if isinstance(value, Ref):
        return {"$ref": value.address, "attribute": value.attribute}
    if isinstance(value, Mapping):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$ref", "attribute"}:
            return Ref(value["$ref"], value["attribute"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def action_to_json(action: Action) -> dict[str, Any]:
    return {
        "address": action.address,
        "change": action.change,
        "service": action.service,
        "operation": action.operation,
        "account": action.account,
        "region": action.region,
        "params": _encode(action.params),
        "reason": action.reason,
        "depends_on": list(action.depends_on),
        "wave": action.wave,
        "before": _encode(action.before),
        "after": _encode(action.after),
    }


def plan_to_json(plan: Plan) -> dict[str, Any]:
    return {
        "format_version": plan.format_version,
        "created_at": plan.created_at,
        "prune": plan.prune,
        "manifests_fingerprint": plan.manifests_fingerprint,
        "live_fingerprint": plan.live_fingerprint,
        "has_changes": plan.has_changes,
        "summary": plan.summary(),
        "actions": [action_to_json(a) for a in plan.actions],
        "removals": [
            {
                "address": r.address,
                "kind": r.kind,
                "account": r.account,
                "region": r.region,
                "arn": r.arn,
                "reason": r.reason,
                "blocked_by": r.blocked_by,
            }
            for r in plan.removals
        ],
        "warnings": list(plan.warnings),
    }


def plan_from_json(data: Mapping[str, Any]) -> Plan:
    return Plan(
        actions=tuple(
            Action(
                address=a["address"],
                change=a["change"],
                service=a["service"],
                operation=a["operation"],
                account=a["account"],
                region=a["region"],
                params=_decode(a["params"]),
                reason=a["reason"],
                depends_on=tuple(a["depends_on"]),
                wave=a["wave"],
                before=_decode(a["before"]),
                after=_decode(a["after"]),
            )
            for a in data["actions"]
        ),
        removals=tuple(Removal(**r) for r in data["removals"]),
        manifests_fingerprint=data["manifests_fingerprint"],
        live_fingerprint=data["live_fingerprint"],
        created_at=data["created_at"],
        prune=data["prune"],
        format_version=data["format_version"],
        warnings=tuple(data.get("warnings", ())),
    )


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads((SCHEMA_DIR / "plan.schema.json").read_text()))


def plan_problems(data: Any) -> list[str]:
    """What makes `data` not a plan (empty when it is one), per schemas/plan.schema.json."""
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(top level)'}: {error.message}"
        for error in _validator().iter_errors(data)
    ]


def save_plan(plan: Plan, path: Path) -> None:
    """Written atomically (a reader never sees half a plan), readable only by its owner (it names accounts)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(plan_to_json(plan), indent=2, sort_keys=True) + "\n"
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w") as stream:
            stream.write(text)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load_plan(path: Path) -> Plan:
    path = Path(path)
    again = f"create one with: bedrock-gitops plan -out {path}"
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ReconcilerError(f"no saved plan at {path}; {again}") from None
    except OSError as error:
        raise ReconcilerError(f"cannot read the plan {path}: {error.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ReconcilerError(
            f"{path} is not a saved plan (not JSON: {error.msg} at line {error.lineno}); {again}"
        ) from None
    if isinstance(data, dict) and isinstance(data.get("format_version"), int):
        if data["format_version"] > PLAN_FORMAT_VERSION:
            raise ReconcilerError(
                f"{path} was written by a newer bedrock-gitops (plan format {data['format_version']}, this "
                f"version reads up to {PLAN_FORMAT_VERSION}); upgrade, or re-plan with this version"
            )
    problems = plan_problems(data)
    if problems:
        listed = "\n  ".join(problems[:5])
        raise ReconcilerError(f"{path} is not a valid saved plan:\n  {listed}\n{again}")
    return plan_from_json(data)
