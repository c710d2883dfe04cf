"""The long convergence run (issue 10): `python -m benchmarks.convergence --sequences N [--transitions T]`.

Each sequence converges the example estate on a fresh sandbox, then makes T random transitions (manifest
edits, out-of-band changes, faults, applies) with the model of tests/convergence/model.py, which checks
every invariant after each apply; a sequence always ends with a clean apply and its checks. Prints:
sequences, transitions, non-converged, duplicates, invalid requests (and token reuses), wall time.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Callable

from botocore.retries.standard import ExponentialBackoff

from tests.convergence.model import (
    CAPACITY_TYPES,
    COMMITMENTS,
    SEVEN_MONTHS,
    VERSIONS,
    Lifecycle,
    NotConverged,
    Tally,
    lifecycle,
)

FAULTS = ("crash", "time", "throttle", "unreachable", "org-sharing-off", "failing-copy", "status-reads")


def transitions(life: Lifecycle, rng: random.Random) -> list[Callable[[], str]]:
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


def run_sequence(seed: int, length: int, tally: Tally, verbose: bool) -> None:
    rng = random.Random(seed)
    steps: list[str] = []
    with lifecycle() as life:
        try:
            steps.append(life.apply_and_check(saved=False))
            for _ in range(length):
                steps.append(rng.choice(transitions(life, rng))())
                tally.transitions += 1
            steps.append(life.apply_and_check(saved=False))
        except NotConverged as failure:
            text = str(failure)
            if text.startswith("duplicates"):
                tally.duplicates += 1
            elif text.startswith("invalid requests"):
                tally.invalid_requests += 1
            elif text.startswith("token"):
                tally.token_reuses += 1
            else:
                tally.non_converged += 1
            tally.failures.append(f"seed {seed}: {text}\n    after: " + "\n    then: ".join(steps))
            if verbose:
                print(tally.failures[-1], file=sys.stderr)
    tally.sequences += 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequences", type=int, default=100)
    parser.add_argument("--transitions", type=int, default=8)
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--verbose", action="store_true", help="print each failure as it happens")
    args = parser.parse_args(argv)
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        os.environ.setdefault(name, value)
    # Injected throttling costs botocore's real backoff; a hundredth of it keeps the run about the logic.
    original = ExponentialBackoff.delay_amount
    ExponentialBackoff.delay_amount = lambda self, context: original(self, context) / 100  # type: ignore[method-assign]
    tally = Tally()
    started = time.monotonic()
    for sequence in range(args.sequences):
        run_sequence(args.seed * 1_000_003 + sequence, args.transitions, tally, args.verbose)
        print(
            f"[{time.monotonic() - started:7.1f} s] {tally.sequences} sequences, {tally.transitions} "
            f"transitions, {len(tally.failures)} failed",
            file=sys.stderr,
            flush=True,
        )
    wall = time.monotonic() - started
    print(f"sequences:         {tally.sequences}")
    print(f"transitions:       {tally.transitions}")
    print(f"non-converged:     {tally.non_converged}")
    print(f"duplicates:        {tally.duplicates}")
    print(f"invalid requests:  {tally.invalid_requests}")
    print(f"token reuses:      {tally.token_reuses}")
    print(f"wall time:         {wall:.1f} s")
    for failure in tally.failures[:5]:
        print(failure)
    return 0 if not tally.failures else 1


if __name__ == "__main__":
    raise SystemExit(main())
