"""Time slices inside one worker: its job threads take turns computing, one turn per owner in rotation.

Only the thread holding the turn computes; it gives the turn away at a preemption point (Control.tick,
called before every optimiser step) once its slice is over and another job is waiting. Owners rotate:
an owner with five jobs gets one turn in each round, like an owner with one.
"""
from __future__ import annotations

import itertools
import threading
import time
from collections import Counter, deque
from typing import Any


class SliceScheduler:
    """Round-robin turns of ``slice_seconds`` among the job threads of one worker, by owner."""

    def __init__(self, slice_seconds: float):
        if not slice_seconds > 0:
            raise ValueError(f"a time slice must be > 0 seconds, got {slice_seconds!r}")
        self.slice_seconds = float(slice_seconds)
        self.granted: Counter = Counter()  # turns given, per owner
        self._cond = threading.Condition()
        self._holder: Any = None  # the token (a Control) now computing
        self._waiting: dict[Any, deque] = {}  # owner -> its waiting tokens
        self._served: dict[Any, int] = {}  # owner -> when it last got a turn (the least recent goes next)
        self._turns = itertools.count()

    def acquire(self, token: Any, owner: Any) -> bool:
        """Block until ``token`` holds the turn (True) or was cancelled while waiting (False)."""
        with self._cond:
            self._waiting.setdefault(owner, deque()).append(token)
            self._grant()
            while self._holder is not token:
                if token not in self._waiting.get(owner, ()):
                    return False
                self._cond.wait()
            return True

    def release(self, token: Any) -> None:
        """Give up the turn if ``token`` holds it, else its place in line."""
        with self._cond:
            if self._holder is token:
                self._holder = None
            else:
                self._drop(token)
            self._grant()
            self._cond.notify_all()

    def cancel(self, token: Any) -> None:
        """Take ``token`` out of the line if it waits (its acquire returns False); never takes a held turn."""
        with self._cond:
            self._drop(token)
            self._cond.notify_all()

    def _drop(self, token: Any) -> None:
        for owner, line in list(self._waiting.items()):
            if token in line:
                line.remove(token)
                if not line:
                    del self._waiting[owner]

    def contended(self) -> bool:
        """True when another job waits for a turn."""
        return bool(self._waiting)

    def _grant(self) -> None:
        """Hand a free turn to the oldest token of the waiting owner served least recently."""
        if self._holder is not None or not self._waiting:
            return
        owner = min(self._waiting, key=lambda o: self._served.get(o, -1))
        line = self._waiting[owner]
        self._holder = line.popleft()
        if not line:
            del self._waiting[owner]
        self._served[owner] = next(self._turns)
        if len(self._served) > 256:  # forget owners that wait no more
            self._served = {o: t for o, t in self._served.items() if o in self._waiting or o == owner}
        self.granted[owner] += 1
        self._cond.notify_all()


def slice_end(scheduler: SliceScheduler) -> float:
    """When a slice that starts now ends (time.monotonic seconds)."""
    return time.monotonic() + scheduler.slice_seconds
