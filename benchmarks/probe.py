"""One plan in a process of its own, so that its CPU time, its peak memory and its child processes are
its own: `python -m benchmarks.probe ROOT SANDBOX_DIR WORKERS OUT.json [--shard K/N SHARD_FILE | --merge
SHARD_FILE...]` (a shard's reads, saved to SHARD_FILE, or the plan merged from the shards' files).

The benchmark (run.py) starts it, samples the memory of its process tree (tree.py) and reads OUT.json:
wall seconds (from the moment run.py launched this process, LAUNCHED_ENV_VAR, to the plan's end: the
interpreter's start-up and imports included, as a user waits for them), CPU seconds (this whole process,
start-up included, and its children), API calls by operation, the minimum calls, finding counts by
severity and the number of actions.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import resource
import sys
import time
from pathlib import Path

from reconciler.core.live import LiveState
from reconciler.core.scopes import scopes_to_read
from reconciler.core.shards import Shard, load_shard, merged_counts, parse_shard, save_shard
from reconciler.manifests.load import load_manifests
from reconciler.manifests.model import Manifests
from reconciler.pipeline import make_plan
from reconciler.sharding import merge_plan, read_shard

# Largest page each list operation accepts (botocore's maxResults bounds): the fewest pages a listing needs.
BEDROCK_PAGE_MAX = 1000
RAM_PAGE_MAX = 500


def minimum_calls(manifests: Manifests, live: LiveState, shard: Shard | None = None) -> int:
    """One paginated list per resource kind per account/Region read (as few pages as the largest page
    allows), plus one AssumeRole per account; of `shard`'s accounts only, when given."""
    reads = {
        scope: read
        for scope, read in scopes_to_read(manifests).items()
        if shard is None or shard.owns(scope.account)
    }
    calls = len({read.scope.account for read in reads.values()})
    for scope, read in reads.items():
        state = live.scope(*scope)
        if read.bedrock:
            kinds = (state.custom_models, state.copy_jobs, state.throughputs, state.deployments)
            calls += sum(max(1, math.ceil(len(items) / BEDROCK_PAGE_MAX)) for items in kinds)
        if read.shares:
            principals = sum(len(share.principals) for share in state.shares)
            resources = sum(len(share.resource_arns) for share in state.shares)
            calls += max(1, math.ceil(len(state.shares) / RAM_PAGE_MAX))
            if state.shares:
                calls += math.ceil(principals / RAM_PAGE_MAX) + math.ceil(resources / RAM_PAGE_MAX)
        if read.invitations:
            calls += 1
    return calls


LAUNCHED_ENV_VAR = "BENCHMARK_LAUNCHED_AT"


def _since_launch() -> float:
    return time.time() - float(os.environ[LAUNCHED_ENV_VAR])


def _cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _shard(root: Path, sandbox_dir: Path, workers: int, shard: Shard, out: Path) -> dict[str, object]:
    read = read_shard(root, shard, sandbox=True, sandbox_dir=sandbox_dir, max_workers=workers)
    save_shard(read, out)
    wall = _since_launch()
    cpu = time.process_time() + _cpu_seconds(resource.RUSAGE_CHILDREN)
    manifests = load_manifests(root)
    return {
        "wall": wall,
        "cpu": cpu,
        "calls": dict(read.call_counts),
        "minimum": minimum_calls(manifests, read.live, shard),
        "findings": {},
        "actions": 0,
    }


def main(argv: list[str]) -> int:
    root, sandbox_dir, workers, out = Path(argv[0]), Path(argv[1]), int(argv[2]), Path(argv[3])
    if argv[4:5] == ["--shard"]:
        out.write_text(json.dumps(_shard(root, sandbox_dir, workers, parse_shard(argv[5]), Path(argv[6]))))
        return 0
    merging = argv[4:5] == ["--merge"]
    files = [Path(f) for f in argv[5:]] if merging else []
    if merging:
        result = merge_plan(root, files, sandbox=True, sandbox_dir=sandbox_dir, max_workers=workers)
    else:
        result = make_plan(root, sandbox=True, sandbox_dir=sandbox_dir, max_workers=workers)
    wall = _since_launch()
    # Every thread of this process, from the interpreter's start-up to the plan, plus any child process
    # the plan waited for.
    cpu = time.process_time() + _cpu_seconds(resource.RUSAGE_CHILDREN)
    if merging:  # the merge's own calls (preflight), not the shards' it adds to the plan's counts
        shards = merged_counts(load_shard(f) for f in files)
        result = dataclasses.replace(
            result, call_counts={k: v - shards.get(k, 0) for k, v in result.call_counts.items()}
        )
    severities: dict[str, int] = {}
    for finding in result.plan.findings:
        severities[finding.severity] = severities.get(finding.severity, 0) + 1
    report = {
        "wall": wall,
        "cpu": cpu,
        "calls": result.call_counts,
        "minimum": minimum_calls(result.manifests, result.live),
        "findings": severities,
        "actions": len(result.plan.actions),
    }
    out.write_text(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
