"""Re-check recorded requests against botocore's service model, independently of how they were answered.

botocore's own ParamValidator (types, required members, lengths it checks) plus the constraints it leaves
to the service (patterns, enums, bounds: `shapes.request_problems`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from botocore.validate import ParamValidator

from reconciler.sandbox.restjson import operation_model, timestamp
from reconciler.sandbox.shapes import request_problems


def _revive_timestamps(shape: Any, value: Any) -> Any:
    """Recorded params are JSON: timestamps were written as text."""
    if shape is None or value is None:
        return value
    if shape.type_name == "timestamp":
        return timestamp(value)
    if shape.type_name == "structure" and isinstance(value, dict):
        return {k: _revive_timestamps(shape.members.get(k), v) for k, v in value.items()}
    if shape.type_name == "list" and isinstance(value, list):
        return [_revive_timestamps(shape.member, v) for v in value]
    return value


def invalid_requests(records: Iterable[Mapping[str, Any]]) -> list[str]:
    """One line per invalid request: service.operation, account/Region, and what is wrong.

    Requests the sandbox already refused with ValidationException are skipped: tests send some on purpose,
    and the refusal is the proof that they were caught.
    """
    found = []
    validator = ParamValidator()
    for record in records:
        if record.get("error") == "ValidationException":
            continue
        service, operation = record["service"], record["operation"]
        model = operation_model(service, operation)
        params = _revive_timestamps(model.input_shape, record["params"])
        problems = request_problems(service, operation, params)
        report = validator.validate(params, model.input_shape) if model.input_shape else None
        if report is not None and report.has_errors():
            problems.append(report.generate_report())
        if problems:
            found.append(
                f"{service}.{operation} in {record['account']}/{record['region']}: {'; '.join(problems)}"
            )
    return found
