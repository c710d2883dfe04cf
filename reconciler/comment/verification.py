"""Verification results (an apply report's `verifications`, or a `verify` run) as rows of the pull request
comment and of the drift issue (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class VerificationView:
    address: str
    model_version: str
    passed: bool
    # e.g. "2 of 2 passed (at least 2)" or the reason the capacity could not be invoked.
    verdict: str
    # One entry per prompt: "revenue: ok (180 ms)", "native-json: the answer is not JSON ...".
    prompts: tuple[str, ...]
    verified_at: str


def verification_views(verifications: Iterable[Mapping[str, Any]]) -> tuple[VerificationView, ...]:
    """From the JSON form (CapacityVerification.to_json), as reports and `verify --json` carry it."""
    views = []
    for item in verifications:
        prompts = tuple(
            f"{p.get('name')}: "
            + ("ok" if p.get("passed") else str(p.get("reason", "")))
            + (f" ({p['latency_ms']} ms)" if p.get("latency_ms") is not None else "")
            for p in item.get("prompts", [])
        )
        passing = sum(1 for p in item.get("prompts", []) if p.get("passed"))
        verdict = str(item.get("problem") or "") or (
            f"{passing} of {len(prompts)} prompts passed (at least {item.get('min_passing')})"
        )
        views.append(
            VerificationView(
                address=str(item.get("address", "")),
                model_version=f"{item.get('model', '')} {item.get('version', '')}",
                passed=bool(item.get("passed")),
                verdict=verdict,
                prompts=prompts,
                verified_at=str(item.get("verified_at") or ""),
            )
        )
    return tuple(views)
