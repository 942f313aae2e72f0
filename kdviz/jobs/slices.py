"""Time slices inside one worker: its job threads take turns computing, one turn per owner in rotation.

Only the thread holding the turn computes; it gives the turn away at a preemption point (Control.tick,
called before every optimiser step) once its slice is over and another job is waiting. Owners rotate:
an owner with five jobs gets one turn in each round, like an owner with one. The pool may give owners
unequal shares of this worker (kdviz.jobs.fairness: a session also computing on other workers yields
this one); turns then go by stride: each turn moves its owner's pass on by 1 / share, and the waiting
owner with the lowest pass goes next.
"""
from __future__ import annotations

import itertools
import threading
import time
from collections import Counter, deque
from typing import Any


MIN_SHARE = 0.01  # an owner's turns never stop: at least one in a hundred while others wait


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
        self._pass: dict[Any, float] = {}  # owner -> its pass (the lowest waiting goes next)
        self._now = 0.0  # the pass of the latest turn: an owner that comes (back) starts there
        self._shares: dict[Any, float] = {}  # owner -> its share of this worker (1 when not given)
        self._order = itertools.count()  # ties go to the owner that started waiting first
        self._since: dict[Any, int] = {}

    def acquire(self, token: Any, owner: Any, yielding: bool = False) -> bool:
        """Block until ``token`` holds the turn (True) or was cancelled while waiting (False).

        ``yielding``: ``token`` holds the turn and lines up again at once, so it competes with the
        waiting owners by pass (a release then an acquire would hand the turn to them whatever their shares)."""
        with self._cond:
            if yielding and self._holder is token:
                self._holder = None
            if owner not in self._waiting:
                self._pass[owner] = max(self._pass.get(owner, self._now), self._now)
                self._since[owner] = next(self._order)
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

    def set_shares(self, shares: dict[Any, float]) -> None:
        """Owners' shares of this worker (from the pool; an owner not named has share 1)."""
        with self._cond:
            self._shares = dict(shares)

    def contended(self) -> bool:
        """True when another job waits for a turn."""
        return bool(self._waiting)

    def _grant(self) -> None:
        """Hand a free turn to the oldest token of the waiting owner served least recently."""
        if self._holder is not None or not self._waiting:
            return
        owner = min(self._waiting, key=lambda o: (self._pass[o], self._since[o]))
        line = self._waiting[owner]
        self._holder = line.popleft()
        if not line:
            del self._waiting[owner]
        self._now = self._pass[owner]
        self._pass[owner] += 1.0 / max(MIN_SHARE, self._shares.get(owner, 1.0))
        if len(self._pass) > 256:  # forget owners that wait no more
            self._pass = {o: p for o, p in self._pass.items() if o in self._waiting or o == owner}
            self._since = {o: t for o, t in self._since.items() if o in self._pass}
        self.granted[owner] += 1
        self._cond.notify_all()


def slice_end(scheduler: SliceScheduler) -> float:
    """When a slice that starts now ends (time.monotonic seconds)."""
    return time.monotonic() + scheduler.slice_seconds
