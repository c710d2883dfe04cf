"""`sandbox status [--json]`: the simulated estate as a newcomer needs to see it: the seeded accounts, the
fine-tuned models to put in manifests, and every simulated resource (a table, or JSON for scripts)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, NamedTuple

KINDS = (
    ("models", "custom model"),
    ("copy_jobs", "copy job"),
    ("throughputs", "provisioned throughput"),
    ("deployments", "deployment"),
    ("customization_jobs", "fine-tuning job"),
)


class Row(NamedTuple):
    kind: str
    account: str
    region: str
    name: str
    status: str
    arn: str


def resources(state: dict[str, Any]) -> list[Row]:
    """Every simulated resource in the snapshot, sorted by kind, account, Region and name."""
    rows = []
    for scope, kinds in state.get("bedrock", {}).items():
        account, _, region = scope.partition("/")
        for key, kind in KINDS:
            for arn, item in kinds.get(key, {}).items():
                label = kind
                if key == "models":
                    label = "custom model (copy)" if item.get("copied_from") else "fine-tuned model"
                name = str(item.get("name") or item.get("target_model_name") or arn.rsplit("/", 1)[-1])
                rows.append(Row(label, account, region, name, str(item.get("status", "")), arn))
    for arn, share in state.get("ram", {}).get("shares", {}).items():
        rows.append(
            Row(
                "RAM share",
                str(share.get("owner", share.get("owner_account", ""))),
                str(share.get("region", "")),
                str(share.get("name", "")),
                str(share.get("status", "")),
                arn,
            )
        )
    return sorted(rows, key=lambda r: (r.kind, r.account, r.region, r.name))


def as_json(directory: str, now: str, state: dict[str, Any]) -> dict[str, Any]:
    organization = state.get("organization", {})
    return {
        "directory": directory,
        "simulated_time": now,
        "settings": state.get("settings", {}),
        "accounts": list(organization.get("accounts", [])),
        "management_account": organization.get("management_account"),
        "resources": [row._asdict() for row in resources(state)],
    }


def table(rows: Sequence[tuple[str, ...]], headings: tuple[str, ...]) -> list[str]:
    widths = [max(len(cell) for cell in column) for column in zip(headings, *rows, strict=True)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [headings, tuple("-" * w for w in widths), *rows]
    ]
    return lines


def render(document: dict[str, Any], account_names: dict[str, str]) -> str:
    management = document.get("management_account")
    accounts = [
        (
            account,
            "organization management (base credentials)"
            if account == management
            else account_names.get(account, "member"),
        )
        for account in document["accounts"]
    ]
    rows = [
        (r["kind"], r["account"], r["region"], r["name"], r["status"], r["arn"])
        for r in document["resources"]
    ]
    fine_tuned = [r for r in document["resources"] if r["kind"] == "fine-tuned model"]
    lines = [
        f"Sandbox: {document['directory']}",
        f"Simulated time: {document['simulated_time']}",
        "Settings: " + json.dumps(document["settings"], sort_keys=True),
        "",
        "Accounts:",
        *("  " + line for line in table(accounts, ("account", "role"))),
        "",
        "Fine-tuned models (the modelArn values for models/*.yaml):",
        *(f"  {r['arn']}" for r in fine_tuned),
        "",
        f"Resources ({len(rows)}):",
        *("  " + line for line in table(rows, ("kind", "account", "region", "name", "status", "arn"))),
        "",
        "Change the settings with `bedrock-gitops sandbox set KEY=VALUE`; remove a resource behind the "
        "reconciler's back (to try drift) with `bedrock-gitops sandbox delete ADDRESS`.",
    ]
    return "\n".join(lines)
