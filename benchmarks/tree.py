"""A process and its descendants: started, waited for, and their summed resident memory sampled (Linux
/proc) so that the peak of the whole tree is known, child processes included."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

# Each sample reads every /proc/*/stat: often enough for a peak, seldom enough to leave the CPU to the
# process measured.
SAMPLE_SECONDS = 0.1


class TreeRun(NamedTuple):
    returncode: int
    peak_rss_mb: float
    stderr: str


def _children() -> dict[int, list[int]]:
    """Parent pid -> child pids, from /proc/*/stat (this kernel has no /proc/PID/task/TID/children)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    return children


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_mb(root: int) -> float:
    children = _children()
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += _rss_kb(pid)
        todo += children.get(pid, [])
    return total * 1024 / 1e6


def run_tree(argv: Sequence[str], env: dict[str, str] | None = None) -> TreeRun:
    """Run `argv` to the end; the peak of its process tree's summed RSS, in MB (10^6 bytes)."""
    process = subprocess.Popen(
        list(argv), env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    peak = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss_mb(process.pid))
            time.sleep(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = process.communicate()
    done.set()
    sampler.join()
    return TreeRun(process.returncode, peak, stderr.decode(errors="replace"))
