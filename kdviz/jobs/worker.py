"""Worker side of the job pool: task loading, the Control a task talks to, and the worker loop."""
from __future__ import annotations

import importlib
import os
import pickle
import queue
import signal
import threading
import time
import traceback
import weakref
from collections.abc import Callable, Mapping
from typing import Any

import torch

from kdviz.device import limit_threads
from kdviz.jobs.parking import Parking, release_memory
from kdviz.jobs.slices import SliceScheduler, slice_end

STATES = ("queued", "running", "paused", "done", "stopped", "error")
TERMINAL = frozenset({"done", "stopped", "error"})
BACKENDS = ("process", "thread")
SLICE_SECONDS = 0.25  # compute time a job holds its worker's turn before another waiting job gets it
_THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


# --------------------------------------------------------------------------- configuration
def resolve_workers(workers: int | str | None = None) -> int:
    """Pool size: ``workers``, else env KDVIZ_WORKERS, else the CPU cores this process may use."""
    raw = workers if workers is not None else os.environ.get("KDVIZ_WORKERS", "").strip() or None
    if raw is None:
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    text = str(raw).strip()
    if isinstance(raw, bool) or not text.isdigit() or int(text) < 1:
        raise ValueError(f"the number of job workers (KDVIZ_WORKERS) must be a whole number >= 1, got {raw!r}")
    return int(text)


def resolve_backend(backend: str | None = None) -> str:
    """Job backend: ``backend``, else env KDVIZ_JOB_BACKEND, else "process"."""
    name = backend or os.environ.get("KDVIZ_JOB_BACKEND", "").strip() or "process"
    if name not in BACKENDS:
        raise ValueError(f"job backend must be one of {', '.join(BACKENDS)}, got {name!r}")
    return name


def resolve_task(task: Any) -> tuple[Callable | str, Any]:
    """Check a task ``(fn_or_path, config)`` and return it as a tuple; ValueError if malformed."""
    if not isinstance(task, (tuple, list)) or len(task) != 2:
        raise ValueError("a task must be a pair (function or 'module:function' path, config)")
    fn, config = task
    if not (callable(fn) or (isinstance(fn, str) and fn.strip())):
        raise ValueError(f"a task's first item must be a function or a 'module:function' path, got {fn!r}")
    return fn, config


def load_callable(fn: Callable | str) -> Callable:
    """Return ``fn`` itself, or import ``"package.module:name"`` (or ``"package.module.name"``)."""
    if callable(fn):
        return fn
    module, sep, name = fn.partition(":")
    if not sep:
        module, _, name = fn.rpartition(".")
    if not module or not name:
        raise ValueError(f"a task path must look like 'package.module:function', got {fn!r}")
    target = getattr(importlib.import_module(module), name, None)
    if not callable(target):
        raise ValueError(f"{fn!r} does not name a function")
    return target


def _message(exc: BaseException) -> str:
    """A user-facing message: a ValueError's text as is, anything else prefixed by its type."""
    text = str(exc).strip()
    if isinstance(exc, ValueError) and text:
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# --------------------------------------------------------------------------- worker side
class JobStopped(BaseException):
    """Raised at a preemption point of a job asked to stop (a BaseException: tasks do not swallow it)."""


class Control:
    """A task's line to its job: ``emit(snapshot)``, ``proceed()`` between chunks, ``tick()`` between steps.

    Snapshots are pickled at emit time (so the task may keep mutating its own history) and sent at
    most every ``emit_interval`` seconds; the latest one is always flushed on pause and at the end.
    With a ``slices`` scheduler the job computes only while it holds its worker's turn, and gives it
    away at a slice boundary (``proceed`` or ``tick`` after the slice's time is over) when another
    job waits; pause and stop take effect there too.
    """

    def __init__(self, job_id: str, outbox, emit_interval: float, slices: SliceScheduler | None = None,
                 owner: Any = None, parking: Parking | None = None):
        self.job_id = job_id
        self.owner = owner
        self.finished = False
        self.thread: threading.Thread | None = None
        self._outbox = outbox
        self._interval = emit_interval
        self._slices = slices
        self._parking = parking
        self._runs: weakref.WeakSet = weakref.WeakSet()  # training runs this job stepped (what a pause may park)
        self._slice_end = float("inf") if slices is None else float("-inf")
        self._has_turn = False
        self._want = "run"  # "run" | "pause" | "stop" (stop is sticky)
        self._cond = threading.Condition()
        self._pending: tuple[bytes, float | None] | None = None
        self._last_sent = float("-inf")

    @property
    def stop_requested(self) -> bool:
        """True once the job was asked to stop; the task should return soon."""
        return self._want == "stop"

    def proceed(self) -> bool:
        """Call before each chunk: returns True to go on, blocks while paused, False once stopped."""
        if self._want == "run" and time.monotonic() < self._slice_end:
            return True
        return self._boundary()

    def tick(self, run: Any = None) -> None:
        """Preemption point, cheap enough to call before every optimiser step of ``run``: raises JobStopped once stopped."""
        if run is not None:
            self._runs.add(run)
        if self._want == "run" and time.monotonic() < self._slice_end:
            return
        if not self._boundary():
            raise JobStopped

    def take_turn(self) -> bool:
        """Wait for this job's turn on its worker (True), or False if it was stopped meanwhile."""
        if self._slices is not None and not self._has_turn:
            self._has_turn = self._slices.acquire(self, self.owner)
            self._slice_end = slice_end(self._slices)
            return self._has_turn and self._want != "stop"
        return self._want != "stop"

    def give_turn(self) -> None:
        """Let the next job of this worker compute."""
        if self._slices is not None and self._has_turn:
            self._has_turn = False
            self._slices.release(self)

    def _boundary(self) -> bool:
        """A slice boundary: let a waiting job take its turn, hold while paused; False once stopped."""
        if self._want == "run" and self._has_turn and self._slices.contended():
            self._has_turn = self._slices.acquire(self, self.owner, yielding=True)  # the next turn goes by share
        if self._want == "pause":  # asked before this boundary or while it waited for its turn back
            self.flush()
            self._outbox.put(("paused", self.job_id))
            self.give_turn()
            parked = self._parking.pause(self, self.owner, self._runs) if self._parking else None
            with self._cond:
                while self._want == "pause":
                    self._cond.wait()
            if self._parking:
                self._parking.resume(self, self.owner, self._runs, parked, restore=self._want != "stop")
        if self._want != "run":
            return False
        if not self.take_turn():
            return False
        if self._slices is not None:
            self._slice_end = slice_end(self._slices)
        return True

    def emit(self, snapshot: Any, progress: float | None = None) -> None:
        """Publish a picklable snapshot; ``progress`` (or ``snapshot["progress"]``) in [0, 1]."""
        try:
            data = pickle.dumps(snapshot, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:
            raise ValueError(f"a job snapshot must be picklable: {_message(exc)}") from exc
        if progress is None and isinstance(snapshot, Mapping):
            progress = snapshot.get("progress")
        progress = None if progress is None else min(1.0, max(0.0, float(progress)))
        self._pending = (data, progress)
        if time.monotonic() - self._last_sent >= self._interval:
            self.flush()

    def flush(self) -> None:
        """Send the latest snapshot now if one is waiting."""
        pending, self._pending = self._pending, None
        if pending is not None:
            self._last_sent = time.monotonic()
            self._outbox.put(("snap", self.job_id, *pending))

    def command(self, kind: str) -> None:
        """Apply a pool command: "pause", "go" or "stop" (once stopped, a job stays stopped)."""
        with self._cond:
            if self._want != "stop":
                self._want = {"pause": "pause", "go": "run", "stop": "stop"}[kind]
            self._cond.notify_all()
        if kind == "stop" and self._slices is not None:
            self._slices.cancel(self)  # a job waiting for its turn ends now


def _run_job(payload: Any, control: Control) -> None:
    """Run one task on this thread and always report how it ended ("done", "stopped", "error")."""
    state, error, detail = "done", None, None
    try:
        limit_threads(1)
        control._outbox.put(("started", control.job_id))
        if not control.take_turn():
            raise JobStopped
        fn, config = pickle.loads(payload) if isinstance(payload, bytes) else payload
        load_callable(fn)(config, control.emit, control)
        if control.stop_requested:
            state = "stopped"
    except JobStopped:
        state = "stopped"
    except BaseException as exc:  # a task must never take its worker down
        state, error, detail = "error", _message(exc), traceback.format_exc()
    finally:
        payload = fn = config = None
        try:
            control.flush()
        except Exception:
            pass
        control.give_turn()
        control.finished = True
        control._outbox.put(("end", control.job_id, state, error, detail))
        release_memory()


def _warm_torch() -> None:
    """Pay torch's one-time lazy imports before the first job (the first optimizer costs ~1 s)."""
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])


def _serve(inbox, outbox, index: int, emit_interval: float, parent_pid: int | None,
           slice_seconds: float = SLICE_SECONDS) -> None:
    """Worker loop: start job threads and route pause/go/stop to them until "shutdown"."""
    controls: dict[str, Control] = {}
    slices = SliceScheduler(slice_seconds)
    parking = Parking()
    _warm_torch()
    outbox.put(("ready", index))
    while True:
        try:
            msg = inbox.get(timeout=1.0)
        except queue.Empty:
            if parent_pid is not None and os.getppid() != parent_pid:
                break  # the server died: do not outlive it
            continue
        if msg[0] == "shutdown":
            break
        if msg[0] == "shares":
            slices.set_shares(msg[1])
            continue
        kind, job_id = msg[0], msg[1]
        if kind == "start":
            control = controls[job_id] = Control(job_id, outbox, emit_interval, slices, msg[3] if len(msg) > 3 else None,
                                                  parking)
            control.thread = threading.Thread(target=_run_job, args=(msg[2], control), daemon=True,
                                              name=f"kdviz-{job_id}")
            control.thread.start()
        elif job_id in controls:
            controls[job_id].command(kind)
        for done in [k for k, c in controls.items() if c.finished]:
            del controls[done]
    for control in controls.values():
        control.command("stop")
    deadline = time.monotonic() + 2.0
    for control in controls.values():
        control.thread.join(max(0.0, deadline - time.monotonic()))


def _worker_main(inbox, outbox, index: int, emit_interval: float, parent_pid: int, nice: int,
                 slice_seconds: float = SLICE_SECONDS) -> None:
    """Entry of a worker process: lower priority, one torch thread, torch imported once, then the loop.

    An exception before or in the loop is reported to the pool as ("failed", index, message) before the
    process exits, so the pool can say why a worker could not start.
    """
    try:
        _start_worker(inbox, outbox, index, emit_interval, parent_pid, nice, slice_seconds)
    except BaseException as exc:
        try:
            outbox.put(("failed", index, _message(exc)))
            outbox.close()
            outbox.join_thread()  # the message is in the pipe before the process ends
        except Exception:
            pass
        raise


def _start_worker(inbox, outbox, index: int, emit_interval: float, parent_pid: int, nice: int,
                  slice_seconds: float) -> None:
    """Set up a worker process (priority, threads) and run its loop."""
    for var in _THREAD_VARS:
        os.environ[var] = "1"
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server decides when workers end
    if nice and hasattr(os, "nice"):
        try:
            os.nice(nice)  # the web server wins the cores whenever it has work
        except OSError:
            pass
    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass  # already fixed by an earlier parallel op
    _serve(inbox, outbox, index, emit_interval, parent_pid, slice_seconds)
