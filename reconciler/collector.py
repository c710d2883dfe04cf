"""The garbage collector's pace during a run: a plan allocates millions of short-lived objects (YAML
nodes, requests, signatures, parsed pages, records) next to a large long-lived heap (botocore's and the
sandbox's models), and Python's default pace walks that heap over and over."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

# Young objects a run may allocate before the collector runs (Python's default is 700). Each page makes
# a few hundred short-lived objects (request, signature, response, parsed page); with the default, a
# 3,600-call plan ran the collector ~500 times, and its full passes over botocore's and the sandbox's
# long-lived models took a twentieth of the plan's CPU. Garbage without cycles is freed at once either way
# (reference counting); only cyclic garbage waits a little longer. (Freezing the long-lived heap as well
# saved a little more, but what it hid from the collector's accounting piled up in long-lived processes.)
BATCH_GEN0_THRESHOLD = 20_000

_collector_lock = threading.Lock()
_users = 0
_saved_threshold: tuple[int, int, int] | None = None


@contextmanager
def fewer_collections() -> Iterator[None]:
    """While a plan or a fan-out runs, the collector runs less often; the process's own thresholds come
    back when the last of the concurrent users ends (they are process-wide)."""
    global _users, _saved_threshold  # noqa: PLW0603  (the collector is process-wide by nature)
    with _collector_lock:
        if _users == 0:
            _saved_threshold = gc.get_threshold()
            gen0, gen1, gen2 = _saved_threshold
            if gen0:  # 0: automatic collection is off, leave it off
                gc.set_threshold(max(gen0, BATCH_GEN0_THRESHOLD), gen1, gen2)
        _users += 1
    try:
        yield
    finally:
        with _collector_lock:
            _users -= 1
            if _users == 0 and _saved_threshold is not None:
                gc.set_threshold(*_saved_threshold)
