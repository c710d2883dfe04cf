"""Apply on merge applies only what was reviewed: compare the plan reviewers saw on the pull request with a
fresh plan of the merged commit (pure; no AWS, no GitHub).

- Same manifests and same live state as the reviewed plan: apply the reviewed plan file itself.
- Something changed, but every action is the same exact request: apply the fresh plan (it is the reviewed
  one, recomputed).
- Any action differs, appears or disappears, or a policy error blocks the plan: stop, and say why.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from reconciler.core.names import TOKEN_MEMBERS
from reconciler.core.plan import Action, Plan
from reconciler.core.planfile import action_to_json

Decision = Literal["apply-reviewed", "apply-fresh", "stop"]
MAX_DIFFERENCES_SHOWN = 30
REQUEST_MEMBERS = ("change", "service", "operation", "account", "region", "params", "depends_on")


@dataclass(frozen=True, slots=True)
class Verdict:
    decision: Decision
    reason: str
    differences: tuple[str, ...] = ()


def _request(action: Action) -> dict[str, Any]:
    """What makes an action the same AWS call (its display fields and explanation do not)."""
    data = action_to_json(action)
    request = {k: data[k] for k in REQUEST_MEMBERS}
    # Tokens identify a request, they are not part of it (each plan makes its own: core/names.py).
    request["params"] = {k: v for k, v in request["params"].items() if k not in TOKEN_MEMBERS}
    return request


def _changed_members(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    keys = []
    for key in sorted(set(old) | set(new)):
        if key == "params":
            keys += [f"params.{p}" for p in _changed_members(old.get(key, {}), new.get(key, {}))]
        elif old.get(key) != new.get(key):
            keys.append(key)
    return keys


def _one_line(value: Any) -> str:
    return json.dumps(value, sort_keys=True)[:160]


def differences(reviewed: Plan, fresh: Plan) -> list[str]:
    """One line per action that is not the same request in both plans, by address."""
    old = {a.address: _request(a) for a in reviewed.actions}
    new = {a.address: _request(a) for a in fresh.actions}
    lines = []
    for address in sorted(set(old) | set(new)):
        if address not in new:
            lines.append(f"- {address}: reviewed, but no longer planned ({old[address]['operation']})")
        elif address not in old:
            operation = new[address]["operation"]
            lines.append(f"+ {address}: planned now, but not in the reviewed plan ({operation})")
        elif old[address] != new[address]:
            members = _changed_members(old[address], new[address])
            detail = ", ".join(
                f"{m}: {_one_line(_dig(old[address], m))} -> {_one_line(_dig(new[address], m))}"
                for m in members[:3]
            )
            lines.append(f"~ {address}: differs ({detail})")
    return lines


def _shown(found: list[str]) -> tuple[str, ...]:
    """The differences a stopped verdict lists: the first MAX_DIFFERENCES_SHOWN, then how many more."""
    shown = found[:MAX_DIFFERENCES_SHOWN]
    if len(found) > len(shown):
        shown.append(f"... and {len(found) - len(shown)} more")
    return tuple(shown)


def _dig(data: dict[str, Any], dotted: str) -> Any:
    value: Any = data
    for key in dotted.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value


def verify(reviewed: Plan, fresh: Plan) -> Verdict:
    if reviewed.blocked or fresh.blocked:
        return Verdict(
            "stop",
            "the plan breaks a policy or preflight rule (an error, not a warning); nothing was applied. "
            "Run `bedrock-gitops plan` to see the findings, fix them in a pull request",
        )
    if (
        reviewed.manifests_fingerprint == fresh.manifests_fingerprint
        and reviewed.live_fingerprint == fresh.live_fingerprint
    ):
        return Verdict("apply-reviewed", "the reviewed plan is current: same manifests, same AWS state")
    found = differences(reviewed, fresh)
    changed = []
    if reviewed.manifests_fingerprint != fresh.manifests_fingerprint:
        changed.append("the manifests")
    if reviewed.live_fingerprint != fresh.live_fingerprint:
        changed.append("AWS")
    what = " and ".join(changed)
    if not found:
        return Verdict(
            "apply-fresh",
            f"{what} changed since the review, but the fresh plan makes exactly the reviewed requests",
        )
    return Verdict(
        "stop",
        f"{what} changed since the review and the plan is no longer the one reviewers approved "
        f"({len(found)} action(s) differ); nothing was applied. Open a pull request (or push to this one's "
        "branch and merge again) so the new plan gets reviewed",
        _shown(found),
    )


def covered_differences(reviewed: Sequence[tuple[int, Plan]], fresh: Plan) -> list[str]:
    """One line per way the fresh plan is not what the covered pull requests' reviewers saw together: an
    action that is none of the requests reviewed at its address, or an address reviewed but no longer
    planned."""
    seen: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for number, plan in reviewed:
        for action in plan.actions:
            seen.setdefault(action.address, []).append((number, _request(action)))
    new = {a.address: _request(a) for a in fresh.actions}
    lines = []
    for address in sorted(set(seen) | set(new)):
        where = ", ".join(sorted({f"#{n}" for n, _ in seen.get(address, [])}))
        if address not in new:
            lines.append(f"- {address}: reviewed in {where}, but no longer planned")
        elif address not in seen:
            lines.append(f"+ {address}: planned now, but in no reviewed plan ({new[address]['operation']})")
        elif all(request != new[address] for _, request in seen[address]):
            number, closest = seen[address][-1]
            members = _changed_members(closest, new[address])
            detail = ", ".join(
                f"{m}: {_one_line(_dig(closest, m))} -> {_one_line(_dig(new[address], m))}"
                for m in members[:3]
            )
            lines.append(f"~ {address}: differs from every reviewed request (#{number}: {detail})")
    return lines


def verify_covered(reviewed: Sequence[tuple[int, Plan]], fresh: Plan) -> Verdict:
    """The fresh plan of the branch against what the reviewers of every covered pull request saw.

    One pull request: `verify`. Several (an apply run that covers merges whose own runs were cancelled):
    every action of the fresh plan must be a request that some covered pull request's reviewers saw at its
    address (tokens aside), and every address they reviewed must still be planned; otherwise stop. Branches
    planned apart each show the others' pending requests as they were, so the fresh request may match any
    one of them. There is no single reviewed file, so a match applies the fresh plan.
    """
    if not reviewed:
        if fresh.has_changes:
            return Verdict(
                "stop",
                "no covered pull request changed the manifests, yet the plan has changes (AWS changed "
                "outside bedrock-gitops); nothing was applied. See the drift issue, or open a pull request",
            )
        return Verdict("apply-fresh", "no covered pull request changed the manifests, and nothing to do")
    if len(reviewed) == 1:
        return verify(reviewed[0][1], fresh)
    blocked = next((plan for _, plan in reviewed if plan.blocked), fresh)
    if blocked.blocked:
        return verify(blocked, fresh)
    numbers = ", ".join(f"#{number}" for number, _ in reviewed)
    found = covered_differences(reviewed, fresh)
    if not found:
        return Verdict("apply-fresh", f"every request of the fresh plan was reviewed (in {numbers})")
    return Verdict(
        "stop",
        f"the fresh plan is not what {numbers} were reviewed to do ({len(found)} action(s) differ); "
        "nothing was applied. Open a pull request whose plan shows the combined change, review it, merge",
        _shown(found),
    )
