"""Shards: the estate split by account, so that plan and apply run on N machines (an Actions matrix).

An account belongs to shard `int(sha256(account id as ASCII).hexdigest(), 16) % N + 1`: the same on every
machine, Python version and manifest order, and an account keeps its shard while others come and go
(only N moves it). Every (account, Region) an account is read in belongs to the account's shard, model
source accounts included.

A shard's plan (`plan --shard K/N -out FILE`) reads only its accounts and saves what it read: a shard file,
the partial live state. `plan --merge FILE...` joins the N files into the estate's live state, which is
then planned exactly like an unsharded read (the plan is global: a copy in one account waits for a share
in another), so the merged plan equals the unsharded one.

Pure, apart from reading and writing the shard file.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, NamedTuple

from reconciler.core.live import (
    MAPPING_FIELDS,
    SET_FIELDS,
    LiveCopyJob,
    LiveCustomModel,
    LiveDeployment,
    LiveInvitation,
    LiveShare,
    LiveState,
    LiveThroughput,
    Scope,
    ScopeState,
    field_names,
)
from reconciler.core.plan import Action, Plan
from reconciler.core.schedule import prerequisites
from reconciler.errors import ReconcilerError

SHARD_FILE_KIND = "bedrock-gitops-shard"
SHARD_FORMAT_VERSION = 1
MAX_SHARDS = 256  # a GitHub Actions matrix runs at most 256 jobs


@dataclass(frozen=True, slots=True)
class Shard:
    """Shard `index` of `count` (1-based), as written on the command line: K/N."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def owns(self, account: str) -> bool:
        return shard_of(account, self.count) == self.index


def shard_of(account: str, count: int) -> int:
    """The shard (1..count) that `account` belongs to (see the module docstring)."""
    digest = hashlib.sha256(account.encode("ascii")).hexdigest()
    return int(digest, 16) % count + 1


def parse_shard(text: str) -> Shard:
    """`K/N` with 1 <= K <= N <= 256; ValueError saying what is wrong otherwise."""
    index_text, slash, count_text = text.partition("/")
    if not slash or not index_text.strip().isdigit() or not count_text.strip().isdigit():
        raise ValueError(f"'{text}' is not a shard; write K/N, e.g. 1/4 for the first of four shards")
    index, count = int(index_text), int(count_text)
    if not 1 <= count <= MAX_SHARDS:
        raise ValueError(f"'{text}': N must be 1 to {MAX_SHARDS} (a GitHub Actions matrix runs 256 jobs)")
    if not 1 <= index <= count:
        raise ValueError(f"'{text}': K must be 1 to {count}")
    return Shard(index, count)


# -- the shard file ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShardRead:
    """What one shard read: its accounts' scopes (invitations unfiltered: which ones matter depends on the
    shares every shard read) and the tags the planner asked for there."""

    shard: Shard
    manifests_fingerprint: str
    tool_version: str
    accounts: tuple[str, ...]
    live: LiveState
    call_counts: Mapping[str, int]


_CLASSES: dict[str, type[Any]] = {
    "custom_models": LiveCustomModel,
    "copy_jobs": LiveCopyJob,
    "throughputs": LiveThroughput,
    "deployments": LiveDeployment,
    "shares": LiveShare,
    "invitations": LiveInvitation,
}


def _encode(item: Any) -> dict[str, Any]:
    """A record as its fields (the file is written with sorted keys: mappings need no sorting here)."""
    out: dict[str, Any] = {}
    for name in field_names(item.__class__):
        value = getattr(item, name)
        if isinstance(value, frozenset):
            value = sorted(value)
        elif isinstance(value, Mapping):
            value = dict(value)
        out[name] = value
    return out


def _decode(cls: type[Any], data: Mapping[str, Any]) -> Any:
    values = {}
    for f in fields(cls):
        value = data[f.name]
        if f.name in SET_FIELDS:
            value = frozenset(value)
        elif f.name in MAPPING_FIELDS:
            value = dict(value)
        values[f.name] = value
    return cls(**values)


def live_to_json(live: LiveState) -> dict[str, Any]:
    return {
        "scopes": [
            {
                "account": state.account,
                "region": state.region,
                **{name: [_encode(item) for item in getattr(state, name)] for name in _CLASSES},
            }
            for _, state in sorted(live.scopes.items())
        ],
        "tags": {arn: dict(tags) for arn, tags in live.tags.items()},
    }


def live_from_json(data: Mapping[str, Any]) -> LiveState:
    scopes = {}
    for raw in data["scopes"]:
        state = ScopeState(
            raw["account"],
            raw["region"],
            **{name: tuple(_decode(cls, item) for item in raw[name]) for name, cls in _CLASSES.items()},
        )
        scopes[state.scope] = state
    return LiveState(scopes, {arn: dict(tags) for arn, tags in data["tags"].items()})


def save_shard(read: ShardRead, path: Path) -> None:
    document = {
        "kind": SHARD_FILE_KIND,
        "format_version": SHARD_FORMAT_VERSION,
        "shard": str(read.shard),
        "manifests_fingerprint": read.manifests_fingerprint,
        "tool_version": read.tool_version,
        "accounts": list(read.accounts),
        "call_counts": dict(sorted(read.call_counts.items())),
        "live": live_to_json(read.live),
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, sort_keys=True) + "\n", encoding="utf-8")
    except OSError as error:
        raise ReconcilerError(
            f"cannot save the shard's reads to {path}: {error.strerror or error}; choose a writable place"
        ) from None


def load_shard(path: Path) -> ShardRead:
    what = "a shard file (written by `bedrock-gitops plan --shard K/N -out FILE`)"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReconcilerError(
            f"no shard file at {path}; make it with `plan --shard K/N -out {path}`"
        ) from None
    except (OSError, ValueError) as error:
        raise ReconcilerError(f"{path} is not {what}: {error}") from None
    if not isinstance(data, dict) or data.get("kind") != SHARD_FILE_KIND:
        hint = " (it is a saved plan: merge the shard files, not plans)" if "actions" in (data or {}) else ""
        raise ReconcilerError(f"{path} is not {what}{hint}")
    if data.get("format_version") != SHARD_FORMAT_VERSION:
        raise ReconcilerError(
            f"{path} has shard format {data.get('format_version')!r}; this bedrock-gitops reads "
            f"{SHARD_FORMAT_VERSION}: make every shard file with the same version"
        )
    try:
        return ShardRead(
            parse_shard(str(data["shard"])),
            str(data["manifests_fingerprint"]),
            str(data["tool_version"]),
            tuple(str(a) for a in data["accounts"]),
            live_from_json(data["live"]),
            {str(k): int(v) for k, v in data["call_counts"].items()},
        )
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ReconcilerError(f"{path} is not {what}: {type(error).__name__}: {error}") from None


# -- merging -----------------------------------------------------------------------------------------------


def accounts_of(shard: Shard, accounts: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({a for a in accounts if shard.owns(a)}))


def merge_problems(
    reads: Sequence[tuple[Path, ShardRead]], manifests_fingerprint: str, accounts: Iterable[str]
) -> list[str]:
    """Why these shard files cannot be merged into the plan of the manifests with this fingerprint and
    these accounts (empty when they can): another commit's manifests, another tool version, another N,
    a shard missing or given twice, or accounts that are not the shard's."""
    if not reads:
        return ["no shard files given; pass one per shard: plan --merge shard-1.json ... shard-N.json"]
    problems = []
    for path, read in reads:
        if read.manifests_fingerprint != manifests_fingerprint:
            problems.append(
                f"{path} (shard {read.shard}) was read for other manifests (fingerprint "
                f"{read.manifests_fingerprint[:12]}, these are {manifests_fingerprint[:12]}): every shard "
                "must plan the same commit"
            )
    versions = sorted({read.tool_version for _, read in reads})
    if len(versions) > 1:
        problems.append(f"the shard files were written by different bedrock-gitops versions: {versions}")
    counts = sorted({read.shard.count for _, read in reads})
    if len(counts) > 1:
        problems.append(f"the shard files split the estate differently (N = {', '.join(map(str, counts))})")
        return problems
    count = counts[0]
    seen: dict[int, Path] = {}
    for path, read in reads:
        if read.shard.index in seen:
            problems.append(f"shard {read.shard} is given twice: {seen[read.shard.index]} and {path}")
        seen[read.shard.index] = path
        expected = accounts_of(read.shard, accounts)
        if read.accounts != expected or any(not read.shard.owns(s.account) for s in read.live.scopes):
            problems.append(
                f"{path} (shard {read.shard}) holds accounts {list(read.accounts)[:5]}, not the shard's "
                f"{list(expected)[:5]}: it was edited, or made from other manifests"
            )
    missing = sorted(set(range(1, count + 1)) - set(seen))
    if missing:
        problems.append(
            f"shard(s) {', '.join(f'{k}/{count}' for k in missing)} missing: a merged plan needs every shard"
        )
    return problems


def merged_live(reads: Iterable[ShardRead]) -> LiveState:
    scopes: dict[Scope, ScopeState] = {}
    tags: dict[str, Mapping[str, str]] = {}
    for read in reads:
        scopes.update(read.live.scopes)
        tags.update(read.live.tags)
    return LiveState(scopes, tags)


def merged_counts(reads: Iterable[ShardRead]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for read in reads:
        for name, count in read.call_counts.items():
            counts[name] = counts.get(name, 0) + count
    return counts


# -- applying one shard ------------------------------------------------------------------------------------


class ShardPart(NamedTuple):
    """The part of a plan one shard applies, and what it leaves for later."""

    plan: Plan
    # Actions in the shard's accounts that wait (directly or through each other) for an action of another
    # shard: started only by a later apply, once that shard has done its part.
    deferred: tuple[Action, ...]
    # address -> the other shard's action it waits for, for each deferred action.
    waits_for: Mapping[str, str]


def shard_part(plan: Plan, shard: Shard) -> ShardPart:
    """The actions and removals of `plan` in `shard`'s accounts; those that need an action of another
    shard first are deferred (a copy waits for a share made in a source account of another shard)."""
    by_address = {action.address: action for action in plan.actions}
    kept: list[Action] = []
    deferred: list[Action] = []
    waits_for: dict[str, str] = {}
    # Plan order is wave order: every prerequisite is decided before the actions that need it.
    for action in plan.actions:
        if not shard.owns(action.account):
            continue
        blocker = next(
            (
                waits_for.get(address, address)
                for address in sorted(prerequisites(action))
                if address in by_address
                and (not shard.owns(by_address[address].account) or address in waits_for)
            ),
            None,
        )
        if blocker is None:
            kept.append(action)
        else:
            deferred.append(action)
            waits_for[action.address] = blocker
    part = dataclasses.replace(
        plan,
        actions=tuple(kept),
        removals=tuple(r for r in plan.removals if shard.owns(r.account)),
    )
    return ShardPart(part, tuple(deferred), waits_for)
