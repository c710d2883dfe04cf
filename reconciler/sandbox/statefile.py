"""The sandbox's state document on disk, shared safely by threads and by concurrent processes.

Every access takes an exclusive `flock` on `state.lock` (plus a thread lock); the JSON file is re-read only
when it changed on disk (inode, size and mtime), and written (temp file + rename) only after a change.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

State = dict[str, Any]


class StateFile:
    def __init__(self, directory: Path, initial: Callable[[], State]) -> None:
        self.directory = directory
        self.path = directory / "state.json"
        self._lock_path = directory / "state.lock"
        self._initial = initial
        self._thread_lock = threading.RLock()
        self._state: State | None = None
        self._stamp: tuple[int, int, int] | None = None
        self._lock_file: IO[str] | None = None
        # Changes whenever the document may have changed: loaded (again) from disk, or saved after a write.
        # Caches derived from the state (the simulation's settle bookkeeping) are valid while it stays put.
        self.version = 0
        directory.mkdir(parents=True, exist_ok=True)

    def _disk_stamp(self) -> tuple[int, int, int] | None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return None
        return (stat.st_ino, stat.st_size, stat.st_mtime_ns)

    @contextlib.contextmanager
    def locked(self, *, write: bool) -> Iterator[State]:
        """The current state; with `write`, whatever the block leaves in it is saved."""
        with self._thread_lock:
            if self._lock_file is None:
                # Opened once (the thread lock serialises its use): the simulator takes this lock a few
                # times per simulated call.
                self._lock_file = open(self._lock_path, "a")  # noqa: SIM115
            lock = self._lock_file
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                stamp = self._disk_stamp()
                if stamp is None:
                    self._state, write = self._initial(), True
                    self.version += 1
                elif self._state is None or stamp != self._stamp:
                    self._state = json.loads(self.path.read_text())
                    self._stamp = stamp
                    self.version += 1
                assert self._state is not None
                yield self._state
                if write:
                    self._save(self._state)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def close(self) -> None:
        with self._thread_lock:
            if self._lock_file is not None:
                self._lock_file.close()
                self._lock_file = None

    def replace(self, state: State) -> None:
        with self.locked(write=True) as current:
            current.clear()
            current.update(state)

    def _save(self, state: State) -> None:
        handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".state.", suffix=".tmp")
        with os.fdopen(handle, "w") as stream:
            json.dump(state, stream, indent=1, sort_keys=True)
        os.replace(temporary, self.path)
        self._stamp = self._disk_stamp()
        self.version += 1
