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
from collections.abc import Callable, Mapping
from typing import Any

import torch

from kdviz.device import limit_threads

STATES = ("queued", "running", "paused", "done", "stopped", "error")
TERMINAL = frozenset({"done", "stopped", "error"})
BACKENDS = ("process", "thread")
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
class Control:
    """A task's line to its job: ``emit(snapshot)``, ``proceed()`` between chunks, ``stop_requested``.

    Snapshots are pickled at emit time (so the task may keep mutating its own history) and sent at
    most every ``emit_interval`` seconds; the latest one is always flushed on pause and at the end.
    """

    def __init__(self, job_id: str, outbox, emit_interval: float):
        self.job_id = job_id
        self.finished = False
        self.thread: threading.Thread | None = None
        self._outbox = outbox
        self._interval = emit_interval
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
        if self._want == "run":
            return True
        if self._want == "pause":
            self.flush()
            self._outbox.put(("paused", self.job_id))
            with self._cond:
                while self._want == "pause":
                    self._cond.wait()
        return self._want == "run"

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


def _run_job(payload: Any, control: Control) -> None:
    """Run one task on this thread and always report how it ended ("done", "stopped", "error")."""
    state, error, detail = "done", None, None
    try:
        limit_threads(1)
        control._outbox.put(("started", control.job_id))
        fn, config = pickle.loads(payload) if isinstance(payload, bytes) else payload
        load_callable(fn)(config, control.emit, control)
        if control.stop_requested:
            state = "stopped"
    except BaseException as exc:  # a task must never take its worker down
        state, error, detail = "error", _message(exc), traceback.format_exc()
    finally:
        try:
            control.flush()
        except Exception:
            pass
        control.finished = True
        control._outbox.put(("end", control.job_id, state, error, detail))


def _warm_torch() -> None:
    """Pay torch's one-time lazy imports before the first job (the first optimizer costs ~1 s)."""
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])


def _serve(inbox, outbox, index: int, emit_interval: float, parent_pid: int | None) -> None:
    """Worker loop: start job threads and route pause/go/stop to them until "shutdown"."""
    controls: dict[str, Control] = {}
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
        kind, job_id = msg[0], msg[1]
        if kind == "start":
            control = controls[job_id] = Control(job_id, outbox, emit_interval)
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


def _worker_main(inbox, outbox, index: int, emit_interval: float, parent_pid: int, nice: int) -> None:
    """Entry of a worker process: lower priority, one torch thread, torch imported once, then the loop."""
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
    _serve(inbox, outbox, index, emit_interval, parent_pid)
