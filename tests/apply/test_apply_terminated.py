"""An apply stopped by SIGTERM (a cancelled CI job, `kill`, a container stop) ends like Ctrl-C: it reports
what happened, frees the lock, and the next apply runs at once instead of waiting out the lease."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from reconciler.sandbox.estate import SandboxEstate
from tests.apply.support import make_estate


def test_sigterm_frees_the_lock_and_reports(tmp_path: Path) -> None:
    estate = make_estate(tmp_path)
    with SandboxEstate.open(estate.sandbox_dir) as sandbox:
        sandbox.update_settings(time_scale=1.0)  # copy jobs take 20 real minutes: it is mid-apply
    env = {**os.environ, "BEDROCK_GITOPS_SANDBOX_DIR": str(estate.sandbox_dir)}
    env.pop("BEDROCK_GITOPS_SANDBOX", None)
    command = [sys.executable, "-m", "reconciler", "apply", "--sandbox", "--root", str(estate.root)]
    process = subprocess.Popen(
        [*command, "--auto-approve", "--poll-seconds", "0.2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    seen = []
    for line in process.stdout:  # wait (on output, not on a clock) until a copy job runs
        seen.append(line)
        if "/copy: InProgress" in line:
            break
    else:
        raise AssertionError("".join(seen))
    process.send_signal(signal.SIGTERM)
    rest = process.stdout.read()
    code = process.wait(timeout=60)
    assert code == 130, [*seen, rest]
    assert "interrupted" in rest
    again = subprocess.run(
        [*command, "--auto-approve", "--timeout", "0.5"],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "another apply is running" not in again.stderr, again.stderr
