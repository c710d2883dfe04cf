"""The long convergence run (issue 10): `python -m benchmarks.convergence --sequences N [--transitions T]
[--workers W] [--only-seed S]`.

Each sequence converges the example estate on a fresh sandbox (its own temporary directory), then makes T
random transitions (manifest edits, out-of-band changes, faults, applies) with the model of
tests/convergence/model.py, which checks every invariant after each apply; a sequence always ends with a
clean apply and its checks. Sequence i of a run has the seed `seed * 1_000_003 + i` whatever the number of
workers, so a failure is re-run alone with `--only-seed S`. Workers are processes (the estate is CPU-bound
Python); their results merge into one tally. Prints: sequences, transitions, non-converged, duplicates,
invalid requests, token reuses, errors, wall time.
"""

from __future__ import annotations

import argparse
import functools
import multiprocessing
import os
import random
import resource
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.context import BaseContext
from typing import Any

SEED_STRIDE = 1_000_003
SEQUENCES_PER_WORKER = 10
# What the sandbox and the product make clients for.
SERVICES = ("bedrock", "bedrock-runtime", "ram", "sts", "dynamodb", "organizations", "kms", "service-quotas")
FAULTS = ("crash", "time", "throttle", "unreachable", "org-sharing-off", "failing-copy", "status-reads")
# How a NotConverged message starts -> the tally column it counts in (anything else: non-converged).
KINDS = {"duplicates": "duplicates", "invalid requests": "invalid requests", "token": "token reuses"}
COLUMNS = ("non-converged", "duplicates", "invalid requests", "token reuses", "errors")


@dataclass(frozen=True)
class SequenceResult:
    """One sequence's outcome: `failure` is None when every check held; `kind` is one of COLUMNS."""

    seed: int
    transitions: int
    seconds: float
    kind: str | None = None
    failure: str | None = None
    peak_mib: int = 0  # the worker process's peak resident memory so far


@dataclass
class Tally:
    """What a run saw, merged over its workers."""

    sequences: int = 0
    transitions: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COLUMNS, 0))
    failures: list[str] = field(default_factory=list)

    def add(self, result: SequenceResult) -> None:
        self.sequences += 1
        self.transitions += result.transitions
        if result.kind is not None:
            self.counts[result.kind] += 1
            self.failures.append(f"seed {result.seed}: {result.failure}")


def sequence_seeds(seed: int, sequences: int) -> list[int]:
    return [seed * SEED_STRIDE + index for index in range(sequences)]


def failure_kind(message: str) -> str:
    return next((kind for prefix, kind in KINDS.items() if message.startswith(prefix)), "non-converged")


def transitions(life: Any, rng: random.Random) -> list[Callable[[], str]]:
    from tests.convergence.model import CAPACITY_TYPES, COMMITMENTS, SEVEN_MONTHS, VERSIONS

    index = rng.randrange(12)
    return [
        lambda: life.switch_version(index),
        lambda: life.resize(index, rng.choice([1, 2])),
        lambda: life.change_commitment(index, rng.choice(COMMITMENTS)),
        lambda: life.switch_capacity(index, rng.choice(CAPACITY_TYPES)),
        lambda: life.toggle_model(index, rng.choice(sorted(VERSIONS))),
        lambda: life.toggle_region(index),
        life.toggle_environment,
        lambda: life.toggle_kms_key(index),
        life.toggle_prune,
        lambda: life.delete_out_of_band(rng.choice(["model", "throughput", "deployment", "share"]), index),
        lambda: life.retag_out_of_band(index),
        lambda: life.hand_made_deployment(0, index),
        lambda: life.advance_time(rng.choice([600.0, 86400.0, SEVEN_MONTHS])),
        lambda: life.apply_and_check(saved=rng.random() < 0.5),
        lambda: life.apply_and_check(saved=rng.random() < 0.5),
        lambda: life.apply_and_check(saved=rng.random() < 0.5),
        lambda: life.apply_with_fault(
            rng.choice(FAULTS), rng.randrange(13), rng.choice([900.0, SEVEN_MONTHS])
        ),
        lambda: life.apply_with_fault(
            rng.choice(FAULTS), rng.randrange(13), rng.choice([900.0, SEVEN_MONTHS])
        ),
    ]


def run_sequence(seed: int, length: int) -> SequenceResult:
    """One lifecycle of `length` random transitions from `seed`, between two clean applies."""
    from tests.convergence.model import NotConverged, lifecycle

    rng = random.Random(seed)
    steps: list[str] = []
    done = 0
    started = time.monotonic()
    kind: str | None = None
    message = ""
    with lifecycle() as life:
        try:
            steps.append(life.apply_and_check(saved=False))
            for _ in range(length):
                steps.append(rng.choice(transitions(life, rng))())
                done += 1
            steps.append(life.apply_and_check(saved=False))
        except NotConverged as not_converged:
            kind, message = failure_kind(str(not_converged)), str(not_converged)
        except Exception:  # a crash of the product (or the model) fails the sequence, not the whole run
            kind, message = "errors", traceback.format_exc(limit=-8)
    seconds = time.monotonic() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    if kind is None:
        return SequenceResult(seed, done, seconds, peak_mib=peak)
    failure = f"{message}\n    after: " + "\n    then: ".join(steps)
    return SequenceResult(seed, done, seconds, kind, failure, peak)


def prepare_process() -> None:
    """Per process, once: fake credentials for the sandbox, botocore's backoff shortened, one botocore
    data loader for every session, and Ctrl-C left to the parent (it stops the pool)."""
    from botocore.retries.standard import ExponentialBackoff

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        os.environ.setdefault(name, value)
    # Injected throttling costs botocore's real backoff; a hundredth of it keeps the run about the logic.
    if not getattr(ExponentialBackoff.delay_amount, "shortened", False):
        original = ExponentialBackoff.delay_amount

        def shortened(self: ExponentialBackoff, context: Any) -> float:
            return float(original(self, context)) / 100

        shortened.shortened = True  # type: ignore[attr-defined]
        ExponentialBackoff.delay_amount = shortened  # type: ignore[method-assign]
    share_botocore_loader()
    share_botocore_event_caches()
    if multiprocessing.parent_process() is not None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a forked worker inherits the parent's handler


def warm_parent() -> None:
    """Import the model and the product and parse the service models once, in the parent: forked workers
    start with all of it (a replaced worker costs no imports), and their pages are shared."""
    import botocore.session

    import tests.convergence.model  # noqa: F401 (imported for the workers)

    prepare_process()
    session = botocore.session.get_session()
    for service in SERVICES:
        session.create_client(service, region_name="us-east-1")


class _SearchPaths(list[str]):
    """A shared loader's search path: boto3 appends its own data folder once per Session."""

    def append(self, path: str) -> None:
        if path not in self:
            super().append(path)


def share_botocore_loader() -> None:
    """Every plan and apply makes new botocore sessions, and each session's loader reads and parses the
    service models (JSON files of megabytes) again. The files do not change during a run: one loader per
    process, whose caches serve every session, saves that CPU without changing a request or a check."""
    import botocore.loaders
    import botocore.session

    if getattr(botocore.session.create_loader, "shared", False):
        return  # a forked worker keeps its parent's loader and what it has parsed
    create = botocore.loaders.create_loader

    @functools.cache
    def shared(search_path_string: str | None = None) -> botocore.loaders.Loader:
        loader = create(search_path_string)
        loader._search_paths = _SearchPaths(loader.search_paths)  # type: ignore[attr-defined]
        return loader

    shared.shared = True  # type: ignore[attr-defined]
    botocore.session.create_loader = shared


def share_botocore_event_caches() -> None:
    """Each client copies its session's event emitter, and with it starts two caches cold: the aliased
    name of every event it emits, and whether each handler it registers takes **kwargs (inspect, per
    handler). Both are pure functions of constants; one process-wide cache answers them after the first
    client (about a quarter of a sequence's CPU before)."""
    import botocore.compat
    import botocore.hooks

    hooks: Any = botocore.hooks  # the stubs know neither EventAliaser nor accepts_kwargs
    emitter = hooks.EventAliaser
    if getattr(emitter._alias_event_name, "shared", False):
        return
    alias = emitter._alias_event_name
    aliased: dict[str, str] = {}

    def shared_alias(self: Any, event_name: str) -> str:
        standard = self.__dict__.get("_standard_aliases")
        if standard is None:  # copies of an emitter copy botocore's alias table (never changed after)
            standard = self._standard_aliases = self._event_aliases == hooks.EVENT_ALIASES
        if not standard:
            return str(alias(self, event_name))
        found = aliased.get(event_name)
        if found is None:
            found = aliased[event_name] = alias(self, event_name)
        return found

    shared_alias.shared = True  # type: ignore[attr-defined]
    emitter._alias_event_name = shared_alias

    takes_kwargs: dict[object, bool] = {}

    def accepts_kwargs(func: Any) -> bool:
        key = getattr(func, "__func__", func)  # a bound method takes what its function takes
        try:
            return takes_kwargs[key]
        except KeyError:
            found = takes_kwargs[key] = bool(botocore.compat.accepts_kwargs(func))
            return found
        except TypeError:  # unhashable
            return bool(botocore.compat.accepts_kwargs(func))

    hooks.accepts_kwargs = accepts_kwargs


def _run_one(job: tuple[int, int]) -> SequenceResult:
    return run_sequence(*job)


def run_all(
    seeds: Iterable[int],
    length: int,
    workers: int,
    runner: Callable[[tuple[int, int]], SequenceResult] = _run_one,
    prepare: Callable[[], None] = prepare_process,
) -> Iterator[SequenceResult]:
    """Results as sequences finish (in any order with several workers); stopping the iteration stops the
    workers."""
    jobs = [(seed, length) for seed in seeds]
    if workers <= 1:
        prepare()
        yield from map(runner, jobs)
        return
    # Fork where there is fork: the parent has imported and parsed everything (and started no thread or
    # mock yet), so a worker starts at once; spawn elsewhere.
    context: BaseContext
    if "fork" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("fork")
        if prepare is prepare_process:
            warm_parent()
    else:
        context = multiprocessing.get_context("spawn")
    # A worker is replaced after SEQUENCES_PER_WORKER sequences: whatever a sequence leaves behind in
    # botocore, moto or the sandbox cannot pile up over a long run on a machine short of memory.
    pool = context.Pool(workers, initializer=prepare, maxtasksperchild=SEQUENCES_PER_WORKER)
    try:
        yield from pool.imap_unordered(runner, jobs, chunksize=1)
        pool.close()
    finally:
        pool.terminate()
        pool.join()


def summary(tally: Tally, wall: float, workers: int, interrupted: bool) -> str:
    lines = [
        f"sequences:         {tally.sequences}" + ("  (interrupted)" if interrupted else ""),
        f"transitions:       {tally.transitions}",
        f"non-converged:     {tally.counts['non-converged']}",
        f"duplicates:        {tally.counts['duplicates']}",
        f"invalid requests:  {tally.counts['invalid requests']}",
        f"token reuses:      {tally.counts['token reuses']}",
        f"errors:            {tally.counts['errors']}",
        f"wall time:         {wall:.1f} s",
        f"workers:           {workers}",
    ]
    return "\n".join(lines + tally.failures[:5])


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequences", type=int, default=100)
    parser.add_argument("--transitions", type=int, default=8)
    parser.add_argument("--seed", type=int, default=10, help="sequence i runs with seed*1000003+i")
    parser.add_argument("--only-seed", type=int, help="run the one sequence of this seed (as printed)")
    parser.add_argument("--workers", type=int, default=1, help="processes (default 1)")
    parser.add_argument("--verbose", action="store_true", help="print each failure as it happens")
    args = parser.parse_args(argv)
    seeds = [args.only_seed] if args.only_seed is not None else sequence_seeds(args.seed, args.sequences)
    workers = max(1, min(args.workers, len(seeds)))
    signal.signal(signal.SIGTERM, _stop)  # kill PID: stop the workers, print what was tallied
    tally = Tally()
    started = time.monotonic()
    interrupted = False
    try:
        for result in run_all(seeds, args.transitions, workers):
            tally.add(result)
            if args.verbose and result.failure is not None:
                print(tally.failures[-1], file=sys.stderr)
            print(
                f"[{time.monotonic() - started:7.1f} s] {tally.sequences}/{len(seeds)} sequences, "
                f"{tally.transitions} transitions, {len(tally.failures)} failed "
                f"(seed {result.seed}: {result.kind or 'converged'}, {result.seconds:.1f} s, "
                f"worker peak {result.peak_mib} MiB)",
                file=sys.stderr,
                flush=True,
            )
    except KeyboardInterrupt:
        interrupted = True
    print(summary(tally, time.monotonic() - started, workers, interrupted), flush=True)
    return 0 if not tally.failures and not interrupted else 1


if __name__ == "__main__":
    raise SystemExit(main())
