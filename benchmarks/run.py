"""Benchmarks: prints the figures of issues 7 and 13 as a table (not a test; nothing here asserts a time).

    python -m benchmarks.run                    # figures 1-4, about 3.5 minutes on 2 quiet cores
    python -m benchmarks.run --only plan,diff   # a subset: plan (figures 1 and 2), diff (3), apply (4)
    python -m benchmarks.run --only shards      # (5) the sharded plan of 2,000 accounts x 4 Regions

Figures: (1) plan wall time over a converged synthetic estate that passes preflight, beside the floor
(minimum API calls x latency / calls in flight; every call the sandbox answers, STS included, takes the
latency) and beside an independent sequential baseline (benchmarks/sequential.py) measured in the same
run; the plan's CPU per call, client side and simulator side, and the peak RSS of its process tree. The
plan runs in a process of its own (benchmarks/probe.py) and the sandbox answers it from another
(reconciler/sandbox/server.py), as AWS answers from its own machines: the plan's process spends only what
a client spends, the simulator's CPU is counted apart; the baseline reads from the same server.
(2) API calls beside the minimum; (3) the pure diff of ~100,000 desired/live resources, time and peak
memory; (4) apply of 50 copy jobs that each take T; (5) `plan --shard K/N` of a 2,000-account estate, the
N shards one after another, each against its share of the floor (its own minimum calls x latency / calls
in flight), then `plan --merge` of their files.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from benchmarks.estate import Shape, generate
from benchmarks.probe import LAUNCHED_ENV_VAR
from benchmarks.sequential import read_sequentially
from benchmarks.tree import run_tree
from reconciler.aws.limits import DEFAULT_MAX_WORKERS
from reconciler.collector import fewer_collections
from reconciler.core.desired import desired_state
from reconciler.core.diff import compute_plan, tag_reads
from reconciler.manifests.load import load_manifests
from reconciler.sandbox.estate import SandboxEstate
from reconciler.sandbox.hook import SimulatorCpu
from reconciler.sandbox.remote import SERVER_ENV_VAR
from reconciler.sandbox.server import launch

LATENCY = 0.05
WORKERS = DEFAULT_MAX_WORKERS


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


class Probe(NamedTuple):
    """One plan run in a process of its own (probe.py): what it reported (`cpu`: its process tree's, all
    client), its tree's peak RSS and the CPU the sandbox server spent answering it (`simulator_cpu`)."""

    wall: float
    cpu: float
    simulator_cpu: float
    calls: dict[str, int]
    minimum: int
    findings: dict[str, int]
    actions: int
    peak_rss_mb: float

    @property
    def made(self) -> int:
        return sum(self.calls.values())


@contextmanager
def served(sandbox_dir: Path, cpu_file: Path) -> Iterator[Path]:
    """The sandbox answering from a process of its own (reconciler/sandbox/server.py), as AWS answers from
    its own machines: the plan's process spends only the client's CPU, the server appends its own to
    `cpu_file` when it stops. Yields the server's socket."""
    socket_path = sandbox_dir.parent / "sandbox.sock"
    server = launch(sandbox_dir, socket_path, {**os.environ, SimulatorCpu.FILE_ENV_VAR: str(cpu_file)})
    try:
        yield socket_path
    finally:
        server.terminate()
        server.wait()


def probe_plan(root: Path, sandbox_dir: Path, workers: int, *extra: str) -> Probe:
    out, cpu_file = root / "probe.json", root / "simulator-cpu.txt"
    out.unlink(missing_ok=True)
    cpu_file.unlink(missing_ok=True)
    argv = [sys.executable, "-m", "benchmarks.probe", str(root), str(sandbox_dir), str(workers), str(out)]
    with served(sandbox_dir, cpu_file) as socket_path:
        launched = {LAUNCHED_ENV_VAR: repr(time.time())}
        run = run_tree([*argv, *extra], env={SERVER_ENV_VAR: str(socket_path), **launched})
    if run.returncode != 0:
        raise SystemExit(f"the plan under measurement failed:\n{run.stderr}")
    report = json.loads(out.read_text())
    simulator = sum(float(line) for line in cpu_file.read_text().split()) if cpu_file.exists() else 0.0
    return Probe(
        report["wall"],
        report["cpu"],
        simulator,
        report["calls"],
        report["minimum"],
        report["findings"],
        report["actions"],
        run.peak_rss_mb,
    )


def plan_figures(shape: Shape, baseline_accounts: int) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="bgo-bench-") as directory:
        root = Path(directory)
        state, _ = generate(root, shape)
        sandbox_dir = _open(root, state, latency_seconds=LATENCY)
        probe = probe_plan(root, sandbox_dir, WORKERS)
        roles = _regions_by_role(root, baseline_accounts)
        with served(sandbox_dir, root / "baseline-simulator-cpu.txt") as socket_path:
            baseline, baseline_calls, baseline_scopes = read_sequentially(socket_path, roles)
    assert probe.actions == 0, "the generated estate should be converged"
    scale = shape.accounts / min(baseline_accounts, shape.accounts)
    sequential = baseline * scale
    made, minimum = probe.made, probe.minimum
    tags = probe.calls.get("bedrock.ListTagsForResource", 0)
    other = made - minimum - tags
    floor = minimum * LATENCY / WORKERS
    errors = probe.findings.get("error", 0)
    client_ms = probe.cpu / made * 1000
    measured_on = (
        f"measured {baseline:.1f} s on {baseline_accounts} of {shape.accounts} accounts "
        f"({baseline_scopes} account-Regions, {baseline_calls} calls), x{scale:g}"
        if scale > 1
        else f"measured on all {baseline_scopes} account-Regions, {baseline_calls} calls"
    )
    return [
        Row(
            f"1. plan, {shape}, {WORKERS} calls in flight (default), {LATENCY * 1000:.0f} ms/call",
            f"{probe.wall:.1f} s = {probe.wall / floor:.2f}x the floor of {floor:.1f} s; preflight: "
            f"{errors} errors, {probe.findings.get('warning', 0)} warnings",
            "<= 1.5x floor, passes preflight",
            "met" if probe.wall <= 1.5 * floor and errors == 0 else "MISSED",
        ),
        Row(
            "1. sequential baseline (benchmarks/sequential.py: per account-Region one client, the four "
            "listings one after another), same run",
            f"{sequential:.0f} s ({measured_on}): the plan is {sequential / probe.wall:.1f}x faster",
            ">= 20x faster",
            "met" if sequential >= 20 * probe.wall else "MISSED",
        ),
        Row(
            "1. CPU per API call: the plan's process tree (client), the sandbox server (simulator)",
            f"client {client_ms:.2f} ms + simulator {probe.simulator_cpu / made * 1000:.2f} ms "
            f"(the plan's process {probe.cpu:.1f} s, the server's {probe.simulator_cpu:.1f} s, "
            f"over {made} calls)",
            "client <= 2 ms",
            "met" if client_ms <= 2 else "MISSED",
        ),
        Row(
            "1. peak RSS of the plan's process tree",
            f"{probe.peak_rss_mb:.0f} MB",
            "<= 400 MB",
            "met" if probe.peak_rss_mb <= 400 else "MISSED",
        ),
        Row(
            "2. API calls per plan",
            f"{made} = {made / minimum:.2f}x the minimum of {minimum} "
            f"(+{tags} ListTagsForResource, +{other} other: {_others(probe.calls)})",
            "<= 1.05x minimum",
            "met" if made <= 1.05 * minimum else "MISSED",
        ),
    ]


def shard_figures(shape: Shape, shards: int) -> list[Row]:
    """The sharded plan: each shard's read in a process of its own, one after another (on N runners they
    would run side by side), then the merge; each shard against its share of the floor (its own minimum
    calls x latency / calls in flight)."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="bgo-bench-") as directory:
        root = Path(directory)
        started = time.perf_counter()
        state, _ = generate(root, shape)
        sandbox_dir = _open(root, state, latency_seconds=LATENCY)
        print(f"(generated {shape} in {time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)
        files = [root / f"shard-{k}.json" for k in range(1, shards + 1)]
        probes = []
        for index, shard_file in enumerate(files, start=1):
            probe = probe_plan(root, sandbox_dir, WORKERS, "--shard", f"{index}/{shards}", str(shard_file))
            probes.append(probe)
            share = probe.minimum * LATENCY / WORKERS
            client_ms = probe.cpu / probe.made * 1000
            rows.append(
                Row(
                    f"5. shard {index}/{shards} of {shape}, {WORKERS} calls in flight, "
                    f"{LATENCY * 1000:.0f} ms/call",
                    f"{probe.wall:.1f} s = {probe.wall / share:.2f}x its share of the floor ({share:.1f} s: "
                    f"{probe.minimum} calls minimum, {probe.made} made); CPU client {client_ms:.2f} + "
                    f"simulator {probe.simulator_cpu / probe.made * 1000:.2f} ms/call; "
                    f"{probe.peak_rss_mb:.0f} MB",
                    "<= 1.5x its share",
                    "met" if probe.wall <= 1.5 * share else "MISSED",
                )
            )
            print(_table(rows[-1:], header=False), flush=True)
        merged = probe_plan(root, sandbox_dir, WORKERS, "--merge", *map(str, files))
    errors = merged.findings.get("error", 0)
    rows.append(
        Row(
            f"5. merge of the {shards} shard files (`plan --merge`: plan, policies, preflight)",
            f"{merged.wall:.1f} s, {merged.made} calls of its own ({_others(merged.calls)}); "
            f"{merged.actions} actions, preflight: {errors} errors, {merged.findings.get('warning', 0)} "
            f"warnings; {merged.peak_rss_mb:.0f} MB",
            "one plan, passes preflight",
            "met" if merged.actions == 0 and errors == 0 else "MISSED",
        )
    )
    return rows


def _regions_by_role(root: Path, accounts: int) -> dict[str, list[str]]:
    """The first `accounts` environments' roles and Regions, as the baseline reads them."""
    environments = sorted(load_manifests(root).environments, key=lambda e: e.account_id)[:accounts]
    return {e.role_arn: list(e.regions) for e in environments}


def _others(calls: dict[str, int]) -> str:
    lists = {"ListCustomModels", "ListModelCopyJobs", "ListProvisionedModelThroughputs"}
    lists |= {"ListCustomModelDeployments", "GetResourceShares", "GetResourceShareAssociations"}
    lists |= {"GetResourceShareInvitations", "AssumeRole", "ListTagsForResource"}
    extra = {k: v for k, v in calls.items() if k.split(".", 1)[1] not in lists}
    return ", ".join(f"{count} {name}" for name, count in sorted(extra.items())) or "none"


def diff_figures(accounts: int) -> list[Row]:
    """Desired and live state built in memory (no AWS): the planner alone."""
    from tests.core.estates import converged  # the planner tests' converged live state builder

    with tempfile.TemporaryDirectory(prefix="bgo-bench-") as directory:
        root = Path(directory)
        shape = Shape(accounts=accounts, regions=4, models=5, versions=5)
        from benchmarks.estate import source_models, write_manifests

        models = source_models(shape, datetime.now(UTC), supported_only=False)
        write_manifests(root, shape, models, supported_only=False)
        manifests = load_manifests(root)
    desired = desired_state(manifests)
    live = converged(desired)
    resources = len(desired.shares) + len(desired.copies) + len(desired.capacities)
    live_resources = sum(
        len(s.custom_models) + len(s.copy_jobs) + len(s.throughputs) + len(s.deployments) + len(s.shares)
        for s in live.scopes.values()
    )

    def diff() -> None:
        # As every plan runs them (pipeline.read_live and plan_from_live): with the collector's pace.
        with fewer_collections():
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
    parser.add_argument(
        "--only",
        default="plan,diff,apply",
        help="comma-separated: plan, diff, apply, shards (not by default)",
    )
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument(
        "--baseline-accounts",
        type=int,
        default=100,
        help="accounts the sequential baseline reads (scaled to all; linear by construction)",
    )
    parser.add_argument("--diff-accounts", type=int, default=3000, help="~33 resources per account")
    parser.add_argument("--copy-seconds", type=float, default=10.0)
    parser.add_argument("--shard-accounts", type=int, default=2000, help="accounts of the sharded plan (5)")
    parser.add_argument("--shards", type=int, default=4, help="N of the sharded plan (5)")
    args = parser.parse_args(argv)
    wanted = set(args.only.split(","))
    print(_table([]), flush=True)  # the header; each row as soon as it is measured
    if "plan" in wanted:
        print(
            _table(plan_figures(Shape(args.accounts, 4, 5, 5), args.baseline_accounts), header=False),
            flush=True,
        )
    if "diff" in wanted:
        print(_table(diff_figures(args.diff_accounts), header=False), flush=True)
    if "shards" in wanted:
        rows = shard_figures(Shape(args.shard_accounts, 4, 5, 5), args.shards)
        print(_table(rows[-1:], header=False), flush=True)  # the shards' rows were printed as measured
    if "apply" in wanted:
        print(_table(apply_figures(50, args.copy_seconds, (50, WORKERS)), header=False), flush=True)
    return 0


def _table(rows: list[Row], *, header: bool = True) -> str:
    lines = ["| figure | measured | target | |", "|---|---|---|---|"] if header else []
    lines += [f"| {r.figure} | {r.measured} | {r.target} | {r.verdict} |" for r in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
