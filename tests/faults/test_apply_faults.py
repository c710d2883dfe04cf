"""apply under faults: throttling, SIGKILL at random points, an unreachable account."""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reconciler.pipeline import make_plan
from tests.apply.support import Estate, duplicates, make_estate

PROD = "777788889999"


@pytest.fixture
def estate(tmp_path: Path) -> Estate:
    return make_estate(tmp_path)


def _changes(estate: Estate) -> int:
    return len(make_plan(estate.root, sandbox=True, sandbox_dir=estate.sandbox_dir).plan.actions)


def test_apply_converges_through_30_percent_throttling_without_duplicates(estate: Estate) -> None:
    estate.settings(throttle_rate=0.3)
    result = estate.apply()
    assert result.report is not None
    assert result.report.succeeded, [(s.address, s.message) for s in result.report.steps]
    estate.settings(throttle_rate=0.0)
    assert _changes(estate) == 0
    assert duplicates(estate.resources()) == {}


def _cli(estate: Estate, *args: str) -> subprocess.Popen[str]:
    environment = {**os.environ, "BEDROCK_GITOPS_SANDBOX_DIR": str(estate.sandbox_dir), "NO_COLOR": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "reconciler", *args],
        cwd=estate.root,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _run(estate: Estate, *args: str) -> tuple[int, str]:
    process = _cli(estate, *args)
    out, err = process.communicate(timeout=120)
    return process.returncode, out + err


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_an_apply_killed_at_a_random_point_is_finished_by_the_next_one(estate: Estate, seed: int) -> None:
    # Simulated time runs fast (a copy job lasts ~0.1 s of real time): the kill lands anywhere in the run.
    estate.settings(time_scale=12_000.0)
    process = _cli(estate, "apply", "--sandbox", "--auto-approve")
    time.sleep(random.Random(seed).uniform(1.0, 4.0))
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)

    code, output = _run(estate, "apply", "--sandbox", "--auto-approve")
    if code != 0:
        # The killed run may still hold the lock: it names the way out.
        found = re.search(r"force-unlock (\S+)", output)
        assert found, output
        unlock_code, unlock_output = _run(estate, "force-unlock", found.group(1), "--sandbox", "--force")
        assert unlock_code == 0, unlock_output
        code, output = _run(estate, "apply", "--sandbox", "--auto-approve")
    assert code == 0, output
    estate.settings(time_scale=0.0)
    assert _changes(estate) == 0
    assert duplicates(estate.resources()) == {}


def test_an_unreachable_account_during_apply_is_left_untouched_and_the_rest_reported(estate: Estate) -> None:
    estate.settings(unreachable_accounts=[PROD])
    before = {k: v for k, v in estate.state()["bedrock"].items() if k.startswith(PROD)}
    try:
        result = estate.apply()
    except Exception as error:
        message = str(error)
        assert PROD in message
    else:
        assert result.report is not None
        assert not result.report.succeeded
        assert any(PROD in (s.message or "") for s in result.report.steps)
    after = {k: v for k, v in estate.state()["bedrock"].items() if k.startswith(PROD)}
    assert after == before
