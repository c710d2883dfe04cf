"""The sandbox's state document on disk, shared safely by threads and by concurrent processes.

Every access takes an exclusive `flock` on `state.lock` (plus a thread lock); the JSON file is re-read only
when it changed on disk (inode, size and mtime), and written (temp file + rename) only after a change.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

State = dict[str, Any]


class StateFile:
    def __init__(self, directory: Path, initial: Callable[[], State]) -> None:
        self.directory = directory
        self.path = directory / "state.json"
        self._path_text = str(self.path)
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
            stat = os.stat(self._path_text)
        except FileNotFoundError:
            return None
        return (stat.st_ino, stat.st_size, stat.st_mtime_ns)

    def locked(self, *, write: bool) -> _Section:
        """The current state (`with store.locked(write=...) as state:`); with `write`, whatever the block
        leaves in it is saved. A plain context manager, not a generator: the simulator enters one on every
        call it answers."""
        return _Section(self, write)

    def _enter(self, section: _Section) -> State:
        self._thread_lock.acquire()
        try:
            if self._lock_file is None:
                # Opened once (the thread lock serialises its use).
                self._lock_file = open(self._lock_path, "a")  # noqa: SIM115
            fcntl.flock(self._lock_file, fcntl.LOCK_EX)
            try:
                stamp = self._disk_stamp()
                if stamp is None:
                    self._state, section.write = self._initial(), True
                    self.version += 1
                elif self._state is None or stamp != self._stamp:
                    self._state = json.loads(self.path.read_text())
                    self._stamp = stamp
                    self.version += 1
                assert self._state is not None
                return self._state
            except BaseException:
                fcntl.flock(self._lock_file, fcntl.LOCK_UN)
                raise
        except BaseException:
            self._thread_lock.release()
            raise

    def _exit(self, section: _Section, failed: bool) -> None:
        try:
            if section.write and not failed:
                assert self._state is not None
                self._save(self._state)
        finally:
            assert self._lock_file is not None
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._thread_lock.release()

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


class _Section:
    """One `with store.locked(...)` block: thread lock and file lock held from entry to exit."""

    __slots__ = ("store", "write")

    def __init__(self, store: StateFile, write: bool) -> None:
        self.store = store
        self.write = write

    def __enter__(self) -> State:
        return self.store._enter(self)

    def __exit__(self, kind: type[BaseException] | None, error: object, trace: object) -> None:
        self.store._exit(self, failed=kind is not None)
