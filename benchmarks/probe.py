"""One plan in a process of its own, so that its CPU time, its peak memory and its child processes are
its own: `python -m benchmarks.probe ROOT SANDBOX_DIR WORKERS OUT.json [--shard K/N]`.

The benchmark (run.py) starts it, samples the memory of its process tree (tree.py) and reads OUT.json:
wall seconds, CPU seconds (this process and its children), API calls by operation, the minimum calls,
finding counts by severity and the number of actions.
"""

from __future__ import annotations

import json
import math
import resource
import sys
import time
from pathlib import Path

from reconciler.core.scopes import scopes_to_read
from reconciler.pipeline import PlanResult, make_plan

# Largest page each list operation accepts (botocore's maxResults bounds): the fewest pages a listing needs.
BEDROCK_PAGE_MAX = 1000
RAM_PAGE_MAX = 500


def minimum_calls(result: PlanResult) -> int:
    """One paginated list per resource kind per account/Region read (as few pages as the largest page
    allows), plus one AssumeRole per account."""
    reads = scopes_to_read(result.manifests)
    calls = len({read.scope.account for read in reads.values()})
    for scope, read in reads.items():
        state = result.live.scope(*scope)
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


def _cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str]) -> int:
    root, sandbox_dir, workers, out = Path(argv[0]), Path(argv[1]), int(argv[2]), Path(argv[3])
    started, cpu_started = time.perf_counter(), time.process_time()
    result = make_plan(root, sandbox=True, sandbox_dir=sandbox_dir, max_workers=workers)
    wall = time.perf_counter() - started
    # Every thread of this process, from manifests to plan (not the interpreter's start-up), plus any
    # child process the plan waited for.
    cpu = time.process_time() - cpu_started + _cpu_seconds(resource.RUSAGE_CHILDREN)
    severities: dict[str, int] = {}
    for finding in result.plan.findings:
        severities[finding.severity] = severities.get(finding.severity, 0) + 1
    report = {
        "wall": wall,
        "cpu": cpu,
        "calls": result.call_counts,
        "minimum": minimum_calls(result),
        "findings": severities,
        "actions": len(result.plan.actions),
    }
    out.write_text(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
