"""Plans as JSON: the `--json` output and the saved plan file (`plan -out FILE`, `show FILE`, `apply FILE`).

The shape is documented (and checked on load) by schemas/plan.schema.json:

    {"format_version": 1, "created_at": "...", "prune": false,
     "manifests_fingerprint": "<sha256>", "live_fingerprint": "<sha256>",
     "has_changes": true, "summary": {"add", "change", "destroy", "wait", "pending_prune"},
     "actions": [{"address", "change", "service", "operation", "account", "region", "params", "reason",
                  "depends_on", "wave", "before", "after"}, ...],
     "removals": [{"address", "kind", "account", "region", "arn", "reason", "blocked_by"}, ...],
     "warnings": ["..."],
     "findings": [{"rule", "severity", "message", "fix", "file", "line", "column", "environment", "account",
                   "region"}, ...],
     "scope": {"environments": ["..."], "partial": true, "warning": "..."}}   (partial plans only)

`findings` is optional on load (plans saved before policies existed have none).

`Ref` values ("known after apply"), anywhere inside params/before/after, are written as
{"$ref": address, "attribute": attribute}; no other object in a plan has a "$ref" member, so reading is
unambiguous. `plan_from_json(plan_to_json(p)) == p` for every plan whose request values are JSON values
(arrays inside params are read back as lists, which is what the planner writes).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler.core.findings import Finding
from reconciler.core.plan import PLAN_FORMAT_VERSION, Action, Plan, Ref, Removal
from reconciler.core.plan_scope import partial_warning
from reconciler.errors import ReconcilerError
from reconciler.manifests.schema import schema_text as packaged_schema_text

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

SCHEMA_NAME = "plan.schema.json"
REF_KEY = "$ref"
MAX_PROBLEMS_SHOWN = 5


def _encode(value: Any) -> Any:
    if isinstance(value, Ref):
        return {REF_KEY: value.address, "attribute": value.attribute}
    if isinstance(value, Mapping):
        if REF_KEY in value:
            raise ValueError(
                f"a request value may not have a {REF_KEY!r} member (reserved for Ref): {value!r}"
            )
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if REF_KEY in value:
            return Ref(value[REF_KEY], value["attribute"])
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


def removal_to_json(removal: Removal) -> dict[str, Any]:
    return {
        "address": removal.address,
        "kind": removal.kind,
        "account": removal.account,
        "region": removal.region,
        "arn": removal.arn,
        "reason": removal.reason,
        "blocked_by": removal.blocked_by,
    }


def finding_to_json(finding: Finding) -> dict[str, Any]:
    return {
        "rule": finding.rule,
        "severity": finding.severity,
        "message": finding.message,
        "fix": finding.fix,
        "file": finding.file,
        "line": finding.line,
        "column": finding.column,
        "environment": finding.environment,
        "account": finding.account,
        "region": finding.region,
    }


def finding_from_json(data: Mapping[str, Any]) -> Finding:
    return Finding(
        rule=data["rule"],
        severity=data["severity"],
        message=data["message"],
        fix=data["fix"],
        file=data["file"],
        line=data["line"],
        column=data["column"],
        environment=data.get("environment"),
        account=data.get("account"),
        region=data.get("region"),
    )


def plan_to_json(plan: Plan) -> dict[str, Any]:
    """The plan as a JSON-able dict, in the shape of schemas/plan.schema.json (actions in plan order)."""
    return {
        "format_version": plan.format_version,
        "created_at": plan.created_at,
        "prune": plan.prune,
        "manifests_fingerprint": plan.manifests_fingerprint,
        "live_fingerprint": plan.live_fingerprint,
        "has_changes": plan.has_changes,
        "summary": plan.summary(),
        "actions": [action_to_json(a) for a in plan.actions],
        "removals": [removal_to_json(r) for r in plan.removals],
        "warnings": list(plan.warnings),
        "findings": [finding_to_json(f) for f in plan.findings],
        # Only in a partial plan (`--environment`): whole-estate plans keep their shape.
        **({"scope": scope_to_json(plan.scope)} if plan.scope else {}),
    }


def scope_to_json(scope: tuple[str, ...]) -> dict[str, Any]:
    return {"environments": list(scope), "partial": True, "warning": partial_warning(scope)}


def plan_from_json(data: Mapping[str, Any]) -> Plan:
    """The inverse of `plan_to_json`. `data` must be valid (see `plan_problems`); `load_plan` checks it."""
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
        removals=tuple(
            Removal(
                address=r["address"],
                kind=r["kind"],
                account=r["account"],
                region=r["region"],
                arn=r["arn"],
                reason=r["reason"],
                blocked_by=r["blocked_by"],
            )
            for r in data["removals"]
        ),
        manifests_fingerprint=data["manifests_fingerprint"],
        live_fingerprint=data["live_fingerprint"],
        created_at=data["created_at"],
        prune=data["prune"],
        format_version=data["format_version"],
        warnings=tuple(data["warnings"]),
        findings=tuple(finding_from_json(f) for f in data.get("findings", ())),
        # The warning is derived from the environments on output, never read back.
        scope=tuple(data["scope"]["environments"]) if "scope" in data else (),
    )


def schema_text() -> str:
    """schemas/plan.schema.json, as the package ships it."""
    return packaged_schema_text(SCHEMA_NAME)


@cache
def _validator() -> Draft202012Validator:
    from jsonschema import Draft202012Validator  # ~0.15 s to import: only where plan files are read

    return Draft202012Validator(json.loads(schema_text()))


def plan_problems(data: Any) -> list[str]:
    """What makes `data` not a plan (empty when it is one): schema errors, located by JSON path, then
    counts that disagree with the actions (a hand-edited file)."""
    problems = [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(top level)'}: {error.message}"
        for error in sorted(_validator().iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    ]
    if problems:
        return problems
    plan = plan_from_json(data)
    if data["summary"] != plan.summary():
        problems.append(
            f"summary: {data['summary']} does not match the actions and removals {plan.summary()}"
        )
    if data["has_changes"] != plan.has_changes:
        problems.append(f"has_changes: {data['has_changes']} does not match the actions")
    return problems


def save_plan(plan: Plan, path: Path) -> None:
    """Written atomically (a reader never sees half a plan) and readable only by its owner (it names
    accounts): a temporary file in the same folder, flushed to disk, then renamed over `path`."""
    path = Path(path)
    if path.is_dir():
        raise ReconcilerError(
            f"cannot save the plan to {path}: it is a folder; name a file, e.g. {path}/plan.tfplan"
        )
    text = json.dumps(plan_to_json(plan), indent=2, sort_keys=True) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise ReconcilerError(
            f"cannot save the plan to {path}: {error.strerror or error}; choose a writable place"
        ) from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load_plan(path: Path) -> Plan:
    """Read a plan saved by `save_plan`; every way it can fail is a ReconcilerError that says what to do."""
    path = Path(path)
    again = f"create one with: bedrock-gitops plan -out {path}"
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ReconcilerError(f"no saved plan at {path}; {again}") from None
    except IsADirectoryError:
        raise ReconcilerError(f"{path} is a folder, not a saved plan; {again}") from None
    except OSError as error:
        raise ReconcilerError(f"cannot read the saved plan {path}: {error.strerror}") from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ReconcilerError(
            f"{path} is not a saved plan (not JSON: {error.msg}; line {error.lineno}, "
            f"column {error.colno}); {again}"
        ) from None
    except (ValueError, RecursionError):  # not UTF-8 text, or absurdly nested
        raise ReconcilerError(f"{path} is not a saved plan (not JSON text); {again}") from None
    if not isinstance(data, dict) or "format_version" not in data:
        raise ReconcilerError(
            f"{path} is not a saved plan (JSON, but not a bedrock-gitops plan: no format_version); {again}"
        )
    version = data["format_version"]
    if isinstance(version, int) and not isinstance(version, bool) and version > PLAN_FORMAT_VERSION:
        raise ReconcilerError(
            f"{path} was written by a newer bedrock-gitops (plan format {version}; this version reads up to "
            f"{PLAN_FORMAT_VERSION}): upgrade bedrock-gitops, or re-plan with this version: "
            f"bedrock-gitops plan -out {path}"
        )
    problems = plan_problems(data)
    if problems:
        listed = "\n  ".join(problems[:MAX_PROBLEMS_SHOWN])
        more = len(problems) - MAX_PROBLEMS_SHOWN
        if more > 0:
            listed += f"\n  ... and {more} more"
        raise ReconcilerError(f"{path} is not a valid saved plan:\n  {listed}\n{again}")
    return plan_from_json(data)
