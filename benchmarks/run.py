"""Benchmarks: prints the figures of issue 7 as a table (not a test; nothing here asserts a time).

    python -m benchmarks.run                    # all four figures, ~5 minutes on 2 cores
    python -m benchmarks.run --only plan,diff   # a subset: plan (figures 1 and 2), diff (3), apply (4)

Figures: (1) plan wall time over a converged synthetic estate beside the floor (minimum API calls x latency
/ concurrency) and beside the same code with one worker (extrapolated from a slice); (2) API calls beside
the minimum; (3) the pure diff of ~100,000 desired/live resources, time and peak memory; (4) apply of 50
copy jobs that each take T.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from benchmarks.estate import Shape, generate
from reconciler.core.desired import desired_state
from reconciler.core.diff import compute_plan, tag_reads
from reconciler.core.scopes import scopes_to_read
from reconciler.manifests.load import load_manifests
from reconciler.pipeline import PlanResult, make_plan
from reconciler.sandbox.estate import SandboxEstate

LATENCY = 0.05
WORKERS = 16
# Largest page each list operation accepts (botocore's maxResults bounds): the fewest pages a listing needs.
BEDROCK_PAGE_MAX = 1000
RAM_PAGE_MAX = 500


class Row(NamedTuple):
    figure: str
    measured: str
    target: str
    verdict: str


def _open(root: Path, state: dict[str, object], **settings: object) -> Path:
    sandbox_dir = root / ".sandbox"
    with SandboxEstate.open(sandbox_dir) as estate:
        estate.reset(state)
        estate.update_settings(time_scale=0.0, **settings)
    return sandbox_dir


def _timed_plan(root: Path, sandbox_dir: Path, workers: int) -> tuple[float, PlanResult]:
    started = time.perf_counter()
    result = make_plan(root, sandbox=True, sandbox_dir=sandbox_dir, max_workers=workers)
    return time.perf_counter() - started, result


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


def plan_figures(shape: Shape, slice_accounts: int) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="bgo-bench-") as directory:
        root = Path(directory)
        state, _ = generate(root, shape)
        sandbox_dir = _open(root, state, latency_seconds=LATENCY)
        wall, result = _timed_plan(root, sandbox_dir, WORKERS)
    assert not result.plan.actions, "the generated estate should be converged"
    with tempfile.TemporaryDirectory(prefix="bgo-bench-") as directory:
        root = Path(directory)
        small = shape._replace(accounts=slice_accounts)
        state, _ = generate(root, small)
        sandbox_dir = _open(root, state, latency_seconds=LATENCY)
        sequential_slice, _ = _timed_plan(root, sandbox_dir, 1)
    sequential = sequential_slice * shape.accounts / slice_accounts
    made = sum(result.call_counts.values())
    minimum = minimum_calls(result)
    tags = result.call_counts.get("bedrock.ListTagsForResource", 0)
    other = made - minimum - tags
    floor = minimum * LATENCY / WORKERS
    floor_with_tags = (minimum + tags) * LATENCY / WORKERS
    ok = "met" if wall <= 1.5 * floor else "MISSED"
    return [
        Row(
            f"1. plan, {shape}, {WORKERS} workers, {LATENCY * 1000:.0f} ms/call",
            f"{wall:.1f} s = {wall / floor:.2f}x the floor of {floor:.1f} s "
            f"({wall / floor_with_tags:.2f}x {floor_with_tags:.1f} s counting the tag reads)",
            "<= 1.5x floor",
            ok,
        ),
        Row(
            "1. same code, 1 worker",
            f"~{sequential:.0f} s (measured {sequential_slice:.1f} s on {slice_accounts} accounts, x"
            f"{shape.accounts / slice_accounts:.0f}) = {sequential / wall:.1f}x slower",
            ">= 20x slower",
            "met" if sequential >= 20 * wall else "MISSED",
        ),
        Row(
            "2. API calls per plan",
            f"{made} = {made / minimum:.2f}x the minimum of {minimum} "
            f"(+{tags} ListTagsForResource, +{other} other: {_others(result, minimum)})",
            "<= 1.05x minimum",
            "met" if made <= 1.05 * minimum else "MISSED",
        ),
    ]


def _others(result: PlanResult, minimum: int) -> str:
    lists = {"ListCustomModels", "ListModelCopyJobs", "ListProvisionedModelThroughputs"}
    lists |= {"ListCustomModelDeployments", "GetResourceShares", "GetResourceShareAssociations"}
    lists |= {"GetResourceShareInvitations", "AssumeRole", "ListTagsForResource"}
    extra = {k: v for k, v in result.call_counts.items() if k.split(".", 1)[1] not in lists}
    return ", ".join(f"{count} {name}" for name, count in sorted(extra.items())) or "none"


def diff_figures(accounts: int) -> list[Row]:
    """Desired and live state built in memory (no AWS): the planner alone."""
    from tests.core.estates import converged  # the planner tests' converged live state builder

    with tempfile.TemporaryDirectory(prefix="bgo-bench-") as directory:
        root = Path(directory)
        shape = Shape(accounts=accounts, regions=4, models=5, versions=5)
        from benchmarks.estate import source_models, write_manifests

        write_manifests(root, shape, source_models(shape, datetime.now(UTC)))
        manifests = load_manifests(root)
    desired = desired_state(manifests)
    live = converged(desired)
    resources = len(desired.shares) + len(desired.copies) + len(desired.capacities)
    live_resources = sum(
        len(s.custom_models) + len(s.copy_jobs) + len(s.throughputs) + len(s.deployments) + len(s.shares)
        for s in live.scopes.values()
    )

    def diff() -> None:
        tag_reads(desired, live)
        compute_plan(desired, live, manifests_fingerprint="bench", prune=True, now=datetime.now(UTC))

    seconds = _best_of(2, diff)
    tracemalloc.start()
    diff()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    megabytes = peak / 1e6
    return [
        Row(
            f"3. pure diff, {resources} desired / {live_resources} live resources",
            f"{seconds:.2f} s, peak {megabytes:.0f} MB (tracemalloc, on top of both states)",
            "<= 2 s, <= 500 MB",
            "met" if seconds <= 2 and megabytes <= 500 else "MISSED",
        )
    ]


def _best_of(runs: int, work: Callable[[], None]) -> float:
    best = math.inf
    for _ in range(runs):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def apply_figures(copies: int, copy_seconds: float, workers: tuple[int, ...]) -> list[Row]:
    from benchmarks.apply_bench import timed_apply

    rows = []
    for count in workers:
        # The same apply with instant copy jobs: planning, lock, share checks, throughput creation.
        overhead, _ = timed_apply(copies, 0, count)
        total, done = timed_apply(copies, copy_seconds, count)
        waiting = total - overhead
        rows.append(
            Row(
                f"4. apply, {copies} copy jobs of T = {copy_seconds:.0f} s each, --max-workers {count}",
                f"{total:.1f} s; minus {overhead:.1f} s for the same apply with instant copies: "
                f"{waiting:.1f} s = {waiting / copy_seconds:.2f} T ({done} copies completed)",
                f"~T, not {copies} T",
                "met" if waiting <= 1.5 * copy_seconds and done == copies else "MISSED",
            )
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--only", default="plan,diff,apply", help="comma-separated: plan, diff, apply")
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--slice", type=int, default=10, help="accounts in the sequential run")
    parser.add_argument("--diff-accounts", type=int, default=3000, help="~33 resources per account")
    parser.add_argument("--copy-seconds", type=float, default=10.0)
    args = parser.parse_args(argv)
    wanted = set(args.only.split(","))
    print(_table([]), flush=True)  # the header; each row as soon as it is measured
    if "plan" in wanted:
        print(_table(plan_figures(Shape(args.accounts, 4, 5, 5), args.slice), header=False), flush=True)
    if "diff" in wanted:
        print(_table(diff_figures(args.diff_accounts), header=False), flush=True)
    if "apply" in wanted:
        print(_table(apply_figures(50, args.copy_seconds, (50, 16)), header=False), flush=True)
    return 0


def _table(rows: list[Row], *, header: bool = True) -> str:
    lines = ["| figure | measured | target | |", "|---|---|---|---|"] if header else []
    lines += [f"| {r.figure} | {r.measured} | {r.target} | {r.verdict} |" for r in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
