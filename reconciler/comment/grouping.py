"""Which environment each action of a plan belongs to, for per-environment summaries.

Addresses come in a few shapes (see docs/ARCHITECTURE.md):
- `<env>/<region>/<model>/copy|throughput|deployment` (and `.../tags`): the environment's own resources;
- `share/<model>/<version>[/principal/<account>|/accept/<account>]`: RAM shares, made in the source account;
- `<account>/<region>/<kind>/<name>[...]`: managed resources no longer declared (removals), by account.

An environment may legitimately be called `share`, so the first segment alone decides nothing: the shape
does, and the manifests (when given) say which names are environments and which account is whose.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

SHARES_GROUP = "RAM shares"
_KINDS = frozenset({"copy", "throughput", "deployment"})
_ACCOUNT = re.compile(r"^[0-9]{12}$")
_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-[0-9]$")


def environment_of(
    address: str,
    account: str,
    *,
    environments: frozenset[str] = frozenset(),
    environment_of_account: Mapping[str, str] | None = None,
) -> str:
    """The group an action or removal is shown under: an environment name, SHARES_GROUP, or
    `account <id>` for an account no manifest names."""
    owners = environment_of_account or {}
    parts = address.split("/")
    own_resource = (
        len(parts) in (4, 5)
        and _REGION.match(parts[1]) is not None
        and parts[3] in _KINDS
        and (len(parts) == 4 or parts[4] == "tags")
    )
    if own_resource and (not environments or parts[0] in environments) and not _ACCOUNT.match(parts[0]):
        return parts[0]
    if parts[0] == "share" and len(parts) in (3, 5) and not own_resource:
        return SHARES_GROUP
    if len(parts) >= 4 and _ACCOUNT.match(parts[0]) and _REGION.match(parts[1]):
        if parts[2] == "share":
            return SHARES_GROUP
        return owners.get(parts[0], f"account {parts[0]}")
    return owners.get(account, f"account {account}")


def group_order(names: set[str], environments: tuple[str, ...] = ()) -> list[str]:
    """Environments in manifest order, then other groups alphabetically, RAM shares last."""
    known = [name for name in environments if name in names]
    others = sorted(name for name in names if name not in environments and name != SHARES_GROUP)
    return known + others + ([SHARES_GROUP] if SHARES_GROUP in names else [])
