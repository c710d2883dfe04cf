"""The long run of the manifest fuzz suite (tests/faults/test_manifest_fuzz.py): 10,000 fuzzed manifests by
default, against 0 internal errors and 0 AWS calls (each property fails on either). Not a test: the suite
runs a bounded profile (40 examples per property); this runs the same properties at length.

    python -m benchmarks.fuzz_manifests                 # 10,000 manifests, derandomized
    python -m benchmarks.fuzz_manifests --manifests 600 --workers 1

Prints a progress line (manifests checked, rate, time left) every --progress seconds.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

PROPERTIES = 3  # text mutations, structural mutations, hostile values and encodings
# Hypothesis counts examples that pass `assume` (manifests left invalid) toward max_examples; a little more
# covers a property that ends its search early.
DISCARD_ALLOWANCE = 1.05


def _count(tally: Path) -> int:
    try:
        return tally.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def _report_progress(
    tally: Path, asked: int, started: float, every: float, finished: threading.Event
) -> None:
    while not finished.wait(every):
        checked = _count(tally)
        seconds = time.monotonic() - started
        rate = checked / seconds
        left = f"~{(asked - checked) / rate / 60:.0f} min left" if rate and checked < asked else "-"
        print(
            f"progress: {checked:,} of {asked:,} manifests checked in {seconds / 60:.1f} min "
            f"({rate:.1f}/s, {left})",
            flush=True,
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifests", type=int, default=10_000, help="how many to check (default 10,000)")
    parser.add_argument("--workers", type=int, default=2, help="pytest-xdist workers (default 2)")
    parser.add_argument("--progress", type=float, default=60.0, help="seconds between progress lines")
    args = parser.parse_args()
    per_property = math.ceil(args.manifests * DISCARD_ALLOWANCE / PROPERTIES)
    with tempfile.TemporaryDirectory() as scratch:
        tally = Path(scratch) / "tally"
        environment = {
            **os.environ,
            "BEDROCK_GITOPS_FUZZ_EXAMPLES": str(per_property),
            "BEDROCK_GITOPS_FUZZ_TALLY": str(tally),
            "HYPOTHESIS_PROFILE": "ci",
        }
        started = time.monotonic()
        finished = threading.Event()
        progress = (tally, args.manifests, started, args.progress, finished)
        reporter = threading.Thread(target=_report_progress, args=progress, daemon=True)
        reporter.start()
        code = subprocess.call(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "-n",
                str(args.workers),
                "tests/faults/test_manifest_fuzz.py",
            ],
            env=environment,
        )
        finished.set()
        reporter.join()
        seconds = time.monotonic() - started
        checked = _count(tally)
    verdict = "met" if code == 0 and checked >= args.manifests else "MISSED"
    print(
        f"fuzzed manifests checked: {checked:,} (asked {args.manifests:,}) in {seconds:.0f} s; "
        f"internal errors and AWS calls: {'0' if code == 0 else 'see the failures above'} -> {verdict}"
    )
    return 0 if verdict == "met" else 1


if __name__ == "__main__":
    sys.exit(main())
