"""The long run of the manifest fuzz suite (tests/faults/test_manifest_fuzz.py): 10,000 fuzzed manifests by
default, against 0 internal errors and 0 AWS calls (each property fails on either). Not a test: the suite
runs a bounded profile (40 examples per property); this runs the same properties at length.

    python -m benchmarks.fuzz_manifests                 # 10,000 manifests, derandomized (~1 hour on 2 cores)
    python -m benchmarks.fuzz_manifests --manifests 600 --workers 2
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROPERTIES = 3  # text mutations, structural mutations, hostile values and encodings
# Hypothesis discards examples that leave the manifests valid (`assume`); ask for more to check enough.
DISCARD_ALLOWANCE = 1.25


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifests", type=int, default=10_000, help="how many to check (default 10,000)")
    parser.add_argument("--workers", type=int, default=2, help="pytest-xdist workers (default 2)")
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
        seconds = time.monotonic() - started
        checked = len(tally.read_text().splitlines()) if tally.exists() else 0
    verdict = "met" if code == 0 and checked >= args.manifests else "MISSED"
    print(
        f"fuzzed manifests checked: {checked:,} (asked {args.manifests:,}) in {seconds:.0f} s; "
        f"internal errors and AWS calls: {'0' if code == 0 else 'see the failures above'} -> {verdict}"
    )
    return 0 if verdict == "met" else 1


if __name__ == "__main__":
    sys.exit(main())
