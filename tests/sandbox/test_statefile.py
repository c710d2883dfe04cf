"""The state document shared by threads and processes: what the simulator keeps of it in memory is never
older than the document on disk, so another process's write holds from the next call."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.sandbox.estate import DIRECTORY_ENV_VAR, SandboxEstate
from reconciler.sandbox.statefile import State, StateFile
from reconciler.sandbox.wire import SimulatedUnreachableError
from tests.sandbox.clients import client
from tests.sandbox.test_simulation import DEV


def _fresh() -> State:
    return {"settings": {"latency_seconds": 0.0}, "writes": 0}


def test_a_write_through_another_handle_is_read_by_the_next_read(tmp_path: Path) -> None:
    mine, theirs = StateFile(tmp_path, _fresh), StateFile(tmp_path, _fresh)
    with mine.locked(write=False) as state:
        assert state["writes"] == 0  # now kept in memory
    for expected in (1, 2, 3):
        with theirs.locked(write=True) as state:
            state["writes"] += 1
        with mine.locked(write=False) as state:
            assert state["writes"] == expected


def test_a_setting_changed_by_another_process_holds_from_the_next_call(
    sandbox: SandboxEstate, sandbox_dir: Path
) -> None:
    bedrock = client(sandbox, "bedrock", DEV)
    assert bedrock.list_custom_models()["modelSummaries"]  # the document is now kept in memory
    script = (
        "import sys; from reconciler.cli import main; "
        f"sys.exit(main(['sandbox', 'set', 'unreachable_accounts={DEV}']))"
    )
    environment = {**os.environ, DIRECTORY_ENV_VAR: str(sandbox_dir)}
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120, env=environment)
    with pytest.raises(SimulatedUnreachableError):
        bedrock.list_custom_models()
