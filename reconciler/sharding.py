"""The I/O shell of sharded plans (reconciler/core/shards.py): a shard reads its accounts and saves what it
read; the merge joins every shard's reads and plans the estate from them, exactly as an unsharded plan
would (the same pure planner, policies and preflight checks, which read only what the changes touch)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler import __version__
from reconciler.aws.limits import DEFAULT_MAX_WORKERS
from reconciler.core.desired import desired_state
from reconciler.core.live import LiveState
from reconciler.core.scopes import scopes_to_read
from reconciler.core.shards import (
    Shard,
    ShardRead,
    accounts_of,
    load_shard,
    merge_problems,
    merged_counts,
    merged_live,
)
from reconciler.errors import ReconcilerError
from reconciler.manifests.model import Manifests
from reconciler.pipeline import PlanResult, plan_from_live, read_live, read_only_run

if TYPE_CHECKING:
    from reconciler.aws.clients import AwsClients


def estate_accounts(manifests: Manifests) -> set[str]:
    """Every account the plan reads (environments and model source accounts)."""
    return {scope.account for scope in scopes_to_read(manifests)}


def read_shard_with(
    manifests: Manifests, clients: AwsClients, shard: Shard, *, max_workers: int = DEFAULT_MAX_WORKERS
) -> ShardRead:
    """What `shard` reads: the scopes (and tags) of its accounts, nothing else."""
    estate = scopes_to_read(manifests)
    reads = {scope: read for scope, read in estate.items() if shard.owns(scope.account)}
    # Tags are read for the capacity of the environments in the shard's own accounts, which their desired
    # state alone decides (the estate's would cost a tenth of a large shard's CPU for the same reads).
    own = dataclasses.replace(
        manifests, environments=tuple(e for e in manifests.environments if shard.owns(e.account_id))
    )
    live = read_live(clients, desired_state(own), reads, max_workers=max_workers, every_invitation=True)
    return ShardRead(
        shard,
        manifests.fingerprint,
        __version__,
        accounts_of(shard, {scope.account for scope in estate}),
        live,
        clients.call_counts(),
    )


def read_shard(
    root: Path,
    shard: Shard,
    *,
    sandbox: bool,
    max_workers: int = DEFAULT_MAX_WORKERS,
    sandbox_dir: Path | None = None,
) -> ShardRead:
    run = read_only_run(root, lambda _: None, sandbox=sandbox, sandbox_dir=sandbox_dir)
    with run as (manifests, _, clients):
        return read_shard_with(manifests, clients, shard, max_workers=max_workers)


def load_shards(manifests: Manifests, files: Sequence[Path]) -> list[ShardRead]:
    """The shard files, refused (every reason at once) unless they are the N shards of these manifests."""
    reads = [(path, load_shard(path)) for path in files]
    problems = merge_problems(reads, manifests.fingerprint, estate_accounts(manifests))
    problems += [
        f"{path} was written by bedrock-gitops {read.tool_version}, this is {__version__}"
        for path, read in reads
        if read.tool_version != __version__
    ]
    if problems:
        listed = "\n".join(f"  {problem}" for problem in problems)
        raise ReconcilerError(
            f"cannot merge these shard files into one plan; nothing was planned:\n{listed}\n"
            "Re-run every shard on the same commit (bedrock-gitops plan --shard K/N -out FILE), then merge."
        )
    return [read for _, read in reads]


def merged_plan_with(
    manifests: Manifests,
    clients: AwsClients,
    reads: Sequence[ShardRead],
    *,
    prune: bool = False,
    max_workers: int = DEFAULT_MAX_WORKERS,
) -> PlanResult:
    from reconciler.aws.discovery import relevant_invitations_only

    joined = merged_live(reads)
    # The filter an unsharded read applies, now that every shard's shares are known.
    live = LiveState(relevant_invitations_only(joined.scopes), joined.tags)
    result = plan_from_live(manifests, live, clients, prune=prune, max_workers=max_workers)
    counts = merged_counts(reads)
    for name, count in result.call_counts.items():
        counts[name] = counts.get(name, 0) + count
    return PlanResult(result.manifests, result.desired, result.live, result.plan, counts)


def merge_plan(
    root: Path,
    files: Sequence[Path],
    *,
    sandbox: bool,
    prune: bool = False,
    max_workers: int = DEFAULT_MAX_WORKERS,
    sandbox_dir: Path | None = None,
) -> PlanResult:
    """One plan of the whole estate from the N shard files (`plan --merge`)."""

    def shard_files(manifests: Manifests) -> list[ShardRead]:
        return load_shards(manifests, files)

    run = read_only_run(root, shard_files, sandbox=sandbox, sandbox_dir=sandbox_dir)
    with run as (manifests, reads, clients):
        return merged_plan_with(manifests, clients, reads, prune=prune, max_workers=max_workers)
