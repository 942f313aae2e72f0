"""Server side of the job pool: Job handles, worker processes (or threads) and the bounded JobPool."""
from __future__ import annotations

import atexit
import bisect
import contextlib
import itertools
import multiprocessing
import os
import pickle
import queue
import signal
import sys
import threading
import time
import types
from collections.abc import Callable
from typing import Any

from kdviz.jobs.fairness import fair_shares
from kdviz.jobs.worker import (
    SLICE_SECONDS,
    TERMINAL,
    _message,
    _serve,
    _worker_main,
    resolve_backend,
    resolve_task,
    resolve_workers,
)

# --------------------------------------------------------------------------- server side
_MAIN_LOCK = threading.Lock()
WORKER_LOST = "the worker running this job stopped; press Start to run it again"
RUNS_PER_SESSION = 4  # running and queued jobs one owner may have in the shared pool (KDVIZ_RUNS_PER_SESSION)
RECONNECT_SECONDS = 120.0  # a disconnected session's jobs keep running this long (Streamlit's disconnectedSessionTTL)


@contextlib.contextmanager
def _main_hidden():
    """Start spawned workers without re-running the parent's main script.

    Streamlit runs each page script as the module ``__main__``; a spawned child would import that
    script again (running the app, or creating a pool inside the worker). Workers import their
    tasks by module path, so they need nothing from ``__main__``: show them an empty one.
    """
    with _MAIN_LOCK:
        main = sys.modules.get("__main__")
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            sys.modules["__main__"] = main


class OwnerLimit(ValueError):
    """An owner already has as many running and queued jobs as the pool allows one owner."""


class Job:
    """A handle on one submitted task: state, queue position, progress, error and snapshots.

    ``state`` is one of STATES; ``queue_position`` is 1 for the next job to start (None unless
    queued); ``progress`` is in [0, 1]; ``error`` holds the task's message when state is "error"
    (``traceback`` the details); ``version`` counts received snapshots (redraw when it changes).
    """

    def __init__(self, pool: "JobPool", seq: int, owner: Any, payload: Any):
        self.id = f"job-{seq}"
        self.owner = owner
        self.state = "queued"
        self.progress = 0.0
        self.version = 0
        self.error: str | None = None
        self.traceback: str | None = None
        self.submitted_at = time.monotonic()
        self.dispatched_at: float | None = None
        self.started_at: float | None = None
        self.ended_at: float | None = None
        self.cost: float | None = None  # estimated seconds of compute alone on one worker (kdviz.experiments.budget)
        self._pool, self._seq, self._payload = pool, seq, payload
        self._snap: bytes | None = None
        self._worker: _Worker | None = None
        self._pause_pending = self._resume_pending = self._stop_pending = False
        self._finished = threading.Event()

    @property
    def done(self) -> bool:
        """True once the job ended: "done", "stopped" or "error"."""
        return self.state in TERMINAL

    @property
    def requested(self) -> str | None:
        """"pause" or "stop" while the worker has not yet confirmed that request (shown at once), else None."""
        if self.done:
            return None
        return "stop" if self._stop_pending else "pause" if self._pause_pending and not self._resume_pending else None

    @property
    def wait_seconds(self) -> float | None:
        """Estimated seconds until this queued job starts (None unless queued, or when costs are unknown)."""
        return self._pool._wait_estimate(self)

    @property
    def trouble(self) -> str | None:
        """What keeps the pool's workers from starting now (a worker that ended while starting), else None."""
        return None if self.done else self._pool.problem

    @property
    def queue_position(self) -> int | None:
        """1-based place in the pool's queue while "queued", else None."""
        return self._pool._position(self)

    def snapshot(self) -> Any:
        """A fresh copy of the latest snapshot (None before the first); safe to mutate."""
        data = self._snap
        return None if data is None else pickle.loads(data)

    def pause(self) -> None:
        """Hold the job after its current chunk; its slot goes to the next queued job."""
        self._pool._pause(self)

    def resume(self) -> None:
        """Continue a paused job (it queues again, by submission order, if every slot is busy)."""
        self._pool._resume(self)

    def stop(self) -> None:
        """Ask the job to end after its current chunk; state becomes "stopped"."""
        self._pool._stop(self)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job ended or ``timeout`` seconds passed; True if it ended."""
        return self._finished.wait(timeout)

    def close(self, timeout: float | None = 5.0) -> bool:
        """Stop the job and wait up to ``timeout`` seconds for it to end; True if it ended."""
        self.stop()
        return self.wait(timeout)

    def __repr__(self) -> str:
        return f"Job({self.id}, owner={self.owner!r}, state={self.state}, progress={self.progress:.2f})"


class _Worker:
    """Server-side record of one worker loop: its queues, runner (thread or process), collector, load.

    Each worker has its own outbox and collector thread, so a worker process that dies mid-write
    (segfault, OOM kill) can only break its own queue, never the other workers'.
    """

    def __init__(self, index: int, pool: "JobPool"):
        self.index = index
        self.hosted: set[str] = set()  # ids of jobs whose thread lives in this worker
        self.running = 0  # of those, how many hold a slot
        self.ready = False  # its loop has started (torch imported)
        self.dead = False  # it ended; its replacement is on the way
        self.shares: dict[str, float] = {}  # owner -> its share of this worker, as last sent
        ctx = pool._ctx
        self.inbox, self.outbox = (ctx.Queue(), ctx.Queue()) if ctx else (queue.Queue(), queue.Queue())
        args = (self.inbox, self.outbox, index, pool._emit_interval)
        name = f"kdviz-job-worker-{index}"
        if ctx:
            self.runner = ctx.Process(target=_worker_main, name=name, daemon=True,
                                      args=(*args, os.getpid(), pool.nice, pool.slice_seconds))
        else:
            self.runner = threading.Thread(target=_serve, name=name, daemon=True,
                                           args=(*args, None, pool.slice_seconds))
        with _main_hidden() if ctx else contextlib.nullcontext():
            self.runner.start()
        self.collector = threading.Thread(target=pool._collect, args=(self,), daemon=True, name=f"{name}-collector")
        self.collector.start()

    def send(self, msg: tuple) -> None:
        """Put a command into the worker's inbox (never blocks; a dead worker's inbox swallows it)."""
        if self.dead:
            return
        try:
            self.inbox.put(msg)
        except (ValueError, OSError):
            pass  # its queue was closed: the collector reports the death

    def close(self) -> None:
        """Release the queues of a process worker that has ended (safe to call twice)."""
        if isinstance(self.runner, threading.Thread):
            return
        for q in (self.inbox, self.outbox):
            with contextlib.suppress(Exception):
                q.close()
                q.cancel_join_thread()


class JobPool:
    """A bounded pool: at most ``size`` jobs train at once, the rest wait in submission order.

    ``workers`` defaults to KDVIZ_WORKERS or the CPU cores; ``backend`` to KDVIZ_JOB_BACKEND or
    "process"; ``context`` is the multiprocessing start method ("spawn" or "forkserver", never
    "fork" once torch threads exist); snapshots travel at most every ``emit_interval`` seconds;
    worker processes run ``nice`` levels below the server (0 to share the cores equally).
    ``per_owner``: the most running and queued jobs one (non-None) owner may have (None: no limit);
    a submit beyond it raises OwnerLimit. Owners computing on the same worker get proportionally fair
    shares of it (kdviz.jobs.fairness), so an owner with jobs everywhere yields to one with a single job.
    """

    def __init__(self, workers: int | None = None, backend: str | None = None, *, context: str = "spawn",
                 emit_interval: float = 0.1, nice: int = 10, jobs_per_worker: int = 1,
                 slice_seconds: float = SLICE_SECONDS, per_owner: int | None = None):
        if context not in ("spawn", "forkserver"):
            raise ValueError(f"context must be 'spawn' or 'forkserver' (fork is unsafe with torch), got {context!r}")
        if not emit_interval >= 0:
            raise ValueError(f"emit_interval must be >= 0 seconds, got {emit_interval!r}")
        self.size = resolve_workers(workers)
        self.backend = resolve_backend(backend)
        if isinstance(jobs_per_worker, bool) or not isinstance(jobs_per_worker, int) or jobs_per_worker < 1:
            raise ValueError(f"jobs_per_worker must be a whole number >= 1, got {jobs_per_worker!r}")
        if not slice_seconds > 0:
            raise ValueError(f"slice_seconds must be > 0, got {slice_seconds!r}")
        if per_owner is not None and (isinstance(per_owner, bool) or not isinstance(per_owner, int) or per_owner < 1):
            raise ValueError(f"per_owner must be a whole number >= 1 or None, got {per_owner!r}")
        self.jobs_per_worker, self.slice_seconds, self.per_owner = jobs_per_worker, float(slice_seconds), per_owner
        self.slots = self.size * jobs_per_worker  # jobs computing (in turns) at once
        self._lock = threading.RLock()
        self._jobs: dict[str, Job] = {}  # active jobs (not yet ended), by id
        self._queue: list[Job] = []  # waiting for a slot, sorted by submission
        self._running = 0
        self._seq = itertools.count(1)
        self._closed = False
        self._ready = threading.Event()
        self._broken: str | None = None  # why workers cannot start, if they cannot
        self._ever_ready = False  # some worker started once: later deaths are replaced, never fatal
        self._start_failures = 0  # deaths during start-up in a row (backs off the respawn)
        self._reported: dict[int, str] = {}  # worker index -> the error it reported before it ended
        self.problem: str | None = None  # what last went wrong starting a worker, until one starts
        self._served: dict[Any, int] = {}  # owner -> turn at which one of its jobs last started
        self._placement: dict[int, frozenset] = {}  # worker index -> owners running there, as last shared
        self._turn = itertools.count()
        self._leaving: dict[Any, threading.Timer] = {}  # disconnected owners, stopped when the timer fires
        self._emit_interval = emit_interval
        self.nice = int(nice)
        self._ctx = multiprocessing.get_context(context) if self.backend == "process" else None
        n_workers = self.size if self.backend == "process" else 1  # threads: one loop hosts all jobs
        self._workers: list[_Worker] = []
        with self._lock:
            self._workers.extend(_Worker(i, self) for i in range(n_workers))
        atexit.register(self.shutdown)

    # ----- public API
    def submit(self, task: tuple[Callable | str, Any], owner: Any = None, cost: float | None = None) -> Job:
        """Queue a task ``(fn_or_path, config)`` for ``owner`` and return its Job.

        ``cost``: the run's estimated seconds alone on one worker, for wait estimates (None: unknown).
        """
        fn, config = resolve_task(task)
        payload: Any = (fn, config)
        if self.backend == "process":
            try:
                payload = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception as exc:
                raise ValueError("a task must be picklable: use a module-level function (or a "
                                 f"'module:function' path) and a picklable config ({_message(exc)})") from exc
        with self._lock:
            if self._closed:
                raise RuntimeError("the job pool has been shut down")
            going = self.going(owner)
            if owner is not None and self.per_owner is not None and going >= self.per_owner:
                raise OwnerLimit(f"You have {going} runs going; stop one or wait for one to finish, "
                                 "then start this one.")
            job = Job(self, next(self._seq), owner, payload)
            job.cost = cost
            self._jobs[job.id] = job
            self._enqueue(job)
            if self._broken:
                self._finish(job, "error", self._broken)
            self._dispatch()
        return job

    def jobs(self, owner: Any = None) -> list[Job]:
        """Active (not ended) jobs, all or one owner's, in submission order."""
        with self._lock:
            return [j for j in self._jobs.values() if owner is None or j.owner == owner]

    def going(self, owner: Any) -> int:
        """How many of ``owner``'s jobs are running or queued (not paused, not being stopped)."""
        with self._lock:
            return sum(1 for j in self._jobs.values()
                       if j.owner == owner and j.state in ("queued", "running") and not j._stop_pending)

    def cancel_owner(self, owner: Any) -> int:
        """Stop every active job of ``owner`` (e.g. when its browser session ends); return how many."""
        with self._lock:
            mine = [j for j in self._jobs.values() if j.owner == owner]
            for job in mine:
                self._stop(job)
        return len(mine)

    def release_owner(self, owner: Any, grace: float = RECONNECT_SECONDS) -> None:
        """``owner``'s connection went away: stop its jobs after ``grace`` seconds unless it comes back."""
        with self._lock:
            if self._closed or owner in self._leaving:
                return
            if grace <= 0:
                self.cancel_owner(owner)
                return
            timer = self._leaving[owner] = threading.Timer(grace, self._owner_gone, (owner,))
            timer.daemon = True
            timer.start()

    def reclaim_owner(self, owner: Any) -> bool:
        """``owner`` reconnected: keep its jobs; True if a pending stop was cancelled."""
        with self._lock:
            timer = self._leaving.pop(owner, None)
        if timer is not None:
            timer.cancel()
        return timer is not None

    def _owner_gone(self, owner: Any) -> None:
        with self._lock:
            if self._leaving.pop(owner, None) is not None and not self._closed:
                self.cancel_owner(owner)

    def in_flight(self) -> float:
        """Estimated compute seconds still to do for every active job (unknown costs count 0)."""
        with self._lock:
            return sum(_remaining(j) for j in self._jobs.values())

    def stats(self) -> dict[str, Any]:
        """Counts for a status line: workers, backend, running, queued, paused."""
        with self._lock:
            states = [j.state for j in self._jobs.values()]
        return {"workers": self.size, "backend": self.backend, "running": states.count("running"),
                "queued": states.count("queued"), "paused": states.count("paused")}

    def health(self) -> str | None:
        """Why this pool cannot take work now, in words, or None when it can: it is shut down, its workers
        cannot start (they exited on their own three times before any began), or none has started yet."""
        with self._lock:
            if self._closed:
                return "the job pool is shut down"
            if self._broken:
                return self._broken
            if not any(w.ready and not w.dead for w in self._workers):
                return self.problem or "the job workers are starting"
            return None

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Block until every worker has started (torch imported); True if they did in time."""
        return self._ready.wait(timeout)

    def shutdown(self, timeout: float = 5.0) -> None:
        """Stop all jobs and end the workers (also runs at interpreter exit); never raises."""
        try:
            self._shutdown(timeout)
        except Exception:  # the exit path must not raise, whatever state the workers are in
            pass

    def _shutdown(self, timeout: float) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for job in list(self._jobs.values()):
                self._stop(job)
            for timer in self._leaving.values():
                timer.cancel()
            self._leaving.clear()
            for worker in self._workers:
                worker.send(("shutdown",))
            workers = list(self._workers)
        atexit.unregister(self.shutdown)
        deadline = time.monotonic() + timeout
        for worker in workers:
            with contextlib.suppress(Exception):
                worker.runner.join(max(0.1, deadline - time.monotonic()))
                if self._ctx and worker.runner.is_alive():
                    worker.runner.terminate()
                    worker.runner.join(1.0)
            with contextlib.suppress(Exception):
                worker.outbox.put(("bye",))
        for worker in workers:
            with contextlib.suppress(Exception):
                worker.collector.join(max(0.1, deadline - time.monotonic()))
            worker.close()
        with self._lock:
            for job in list(self._jobs.values()):
                self._finish(job, "stopped")

    # ----- scheduling (all under self._lock)
    def _enqueue(self, job: Job) -> None:
        self._set_state(job, "queued")
        bisect.insort(self._queue, job, key=lambda j: j._seq)

    def _dequeue(self, job: Job) -> None:
        if job in self._queue:
            self._queue.remove(job)

    def _order(self) -> list[Job]:
        """Queued jobs in the order they will start: owners take turns, the least recently served
        first (one queue per owner), and each owner's jobs go in submission order."""
        lines: dict[Any, list[Job]] = {}
        for job in self._queue:  # sorted by submission
            lines.setdefault(job.owner, []).append(job)
        owners = sorted(lines, key=lambda o: (self._served.get(o, -1), lines[o][0]._seq))
        rounds = max((len(line) for line in lines.values()), default=0)
        return [lines[o][r] for r in range(rounds) for o in owners if r < len(lines[o])]

    def _position(self, job: Job) -> int | None:
        with self._lock:
            if job.state != "queued" or job not in self._queue:
                return None
            return self._order().index(job) + 1

    def _wait_estimate(self, job: Job) -> float | None:
        """Seconds until ``job`` starts: the work still to do ahead of it, shared by the workers."""
        with self._lock:
            if job.state != "queued" or job not in self._queue:
                return None
            order = self._order()
            ahead = order[:order.index(job)]
            running = [j for j in self._jobs.values() if j.state == "running"]
            if any(j.cost is None for j in ahead + running):
                return None
            if len(running) + len(ahead) < self.slots:
                return 0.0
            return sum(_remaining(j) for j in ahead + running) / self.size

    def _set_state(self, job: Job, state: str) -> None:
        """Change state and keep slot counts right: a job holds a slot iff it is "running"."""
        held, holds = job.state == "running", state == "running"
        if held != holds:
            delta = 1 if holds else -1
            self._running += delta
            job._worker.running += delta
        job.state = state

    def _owners_on(self, worker: _Worker) -> set:
        """Owners (as workers know them) with a job holding a slot on ``worker``."""
        return {str(j.owner) for j in self._jobs.values() if j.state == "running" and j._worker is worker}

    def _dispatch(self) -> None:
        self._fill()
        self._share()

    def _share(self) -> None:
        """Tell each worker its owners' fair shares when who runs where has changed."""
        if self._closed:
            return
        placement = {w.index: frozenset(self._owners_on(w)) for w in self._workers if not w.dead}
        if placement == self._placement:
            return
        self._placement = placement
        shares = fair_shares(placement)
        for worker in self._workers:
            if not worker.dead and worker.shares != shares[worker.index]:
                worker.shares = shares[worker.index]
                worker.send(("shares", worker.shares))

    def _fill(self) -> None:
        while self._running < self.slots and self._queue and not self._closed:
            job = self._order()[0]
            if job._worker is None:  # first start: the live worker with the fewest other owners, then the least busy
                alive = [w for w in self._workers if not w.dead]
                if not alive:
                    return  # a replacement is starting; it dispatches when it is up
                self._queue.remove(job)
                job._worker = min(alive, key=lambda w: (len(self._owners_on(w) - {str(job.owner)}), w.running,
                                                        len(w.hosted)))
                job._worker.hosted.add(job.id)
                job.dispatched_at = time.monotonic()
                job._worker.send(("start", job.id, job._payload, str(job.owner)))
            else:  # a resumed job continues on the worker holding its thread
                self._queue.remove(job)
                job._worker.send(("go", job.id))
            self._served[job.owner] = next(self._turn)
            self._set_state(job, "running")

    def _pause(self, job: Job) -> None:
        with self._lock:
            if job.state == "queued":
                self._dequeue(job)
                job.state = "paused"
            elif job.state == "running" and not job._pause_pending:
                job._pause_pending, job._resume_pending = True, False
                job._worker.send(("pause", job.id))  # state turns "paused" when the worker confirms

    def _resume(self, job: Job) -> None:
        with self._lock:
            if job.state == "paused":
                self._enqueue(job)
                self._dispatch()
            elif job._pause_pending:
                job._resume_pending = True

    def _stop(self, job: Job) -> None:
        with self._lock:
            if job.done:
                return
            job._resume_pending, job._stop_pending = False, True
            self._dequeue(job)
            if job._worker is None:
                self._finish(job, "stopped")
                self._dispatch()
            else:
                job._worker.send(("stop", job.id))  # the worker answers "end"

    def _finish(self, job: Job, state: str, error: str | None = None, detail: str | None = None) -> None:
        self._set_state(job, state)
        job.error, job.traceback, job.ended_at = error, detail, time.monotonic()
        if state == "done":
            job.progress = 1.0
        self._dequeue(job)
        self._jobs.pop(job.id, None)
        if job._worker is not None:
            job._worker.hosted.discard(job.id)
        job._payload = None
        job._finished.set()

    # ----- messages from workers
    def _collect(self, worker: _Worker) -> None:
        """Collector thread of one worker: apply its messages to jobs; notice if it dies."""
        while True:
            try:
                msg = worker.outbox.get(timeout=0.5)
            except queue.Empty:
                if worker.runner.is_alive():
                    continue
                msg = ("died",)
            except (EOFError, OSError, ValueError, pickle.UnpicklingError):
                msg = ("died",)  # its end of the queue broke: treat as dead
            if msg[0] == "bye":
                return
            with self._lock:
                if msg[0] == "died":
                    self._worker_died(worker)
                    return
                self._handle(worker, msg)

    def _handle(self, worker: _Worker, msg: tuple) -> None:
        kind = msg[0]
        if kind == "ready":
            worker.ready = self._ever_ready = True
            self._start_failures, self.problem = 0, None
            if all(w.ready for w in self._workers):
                self._ready.set()
            return
        if kind == "failed":
            self._reported[worker.index] = msg[2]
            return
        job = self._jobs.get(msg[1])
        if job is None:
            return
        if kind == "started":
            job.started_at = time.monotonic()
            job._payload = None  # kept until now, so a job lost before it started can be sent again
        elif kind == "snap":
            job._snap = msg[2]
            if msg[3] is not None:
                job.progress = msg[3]
            job.version += 1
        elif kind == "paused":
            job._pause_pending = False
            self._set_state(job, "paused")
            if job._resume_pending:
                job._resume_pending = False
                self._enqueue(job)
            self._dispatch()
        elif kind == "end":
            self._finish(job, *msg[2:])
            self._dispatch()

    def _worker_died(self, worker: _Worker) -> None:
        """Replace a dead worker: its started jobs fail with WORKER_LOST, the ones it never began queue
        again, every other job is untouched. A worker killed by a signal (the out-of-memory killer, an
        operator) is always replaced, however often; only a pool whose workers never once started and
        exited on their own three times in a row gives up, saying why."""
        if self._closed or self._broken or worker not in self._workers or worker.dead:
            return
        code = getattr(worker.runner, "exitcode", None)
        worker.dead = True
        worker.close()
        cause = self._reported.pop(worker.index, None) or ended(code)
        if not worker.ready:
            self._start_failures += 1
            self.problem = f"a job worker stopped while starting ({cause}); starting another"
            if not self._ever_ready and self._start_failures >= 3 and not (code is not None and code < 0):
                self._broken = f"job workers cannot start: {cause}"  # start-up itself is broken
                self.problem = self._broken
                for job in list(self._jobs.values()):
                    self._finish(job, "error", self._broken)
                return
        for job_id in list(worker.hosted):
            job = self._jobs[job_id]
            if job.started_at is None and job._payload is not None and job.state == "running":
                self._set_state(job, "queued")  # it never ran: send it again
                worker.hosted.discard(job_id)
                job._worker = None
                self._enqueue(job)
            else:
                self._finish(job, "error", WORKER_LOST)
        self._share()
        delay = 0.0 if worker.ready else min(5.0, 0.25 * 2 ** self._start_failures)
        timer = threading.Timer(delay, self._respawn, (worker,))
        timer.daemon = True
        timer.start()

    def _respawn(self, dead: _Worker) -> None:
        """Start the replacement of ``dead`` and give it work."""
        with self._lock:
            if self._closed or self._broken or self._workers[dead.index] is not dead:
                return
            try:
                self._workers[dead.index] = _Worker(dead.index, self)
            except Exception:  # could not even spawn (out of memory): try again shortly
                timer = threading.Timer(1.0, self._respawn, (dead,))
                timer.daemon = True
                timer.start()
                return
            self._dispatch()


def ended(code: int | None) -> str:
    """How a worker process ended, in words, from its exit code (negative: the signal that killed it)."""
    if code is None:
        return "it stopped answering"
    if code < 0:
        try:
            name = f" ({signal.Signals(-code).name})"
        except ValueError:
            name = ""
        return f"killed by signal {-code}{name}"
    return f"exited with code {code}"


def _remaining(job: Job) -> float:
    """Estimated compute seconds ``job`` still needs (0 when its cost is unknown)."""
    return 0.0 if job.cost is None else job.cost * (1.0 - job.progress)


_DEFAULT: JobPool | None = None
_DEFAULT_LOCK = threading.Lock()


def default_pool() -> JobPool:
    """The process-wide shared pool (created on first use with the environment's settings:
    KDVIZ_WORKERS, KDVIZ_JOB_BACKEND and KDVIZ_JOBS_PER_WORKER, jobs taking turns on each worker, and
    KDVIZ_RUNS_PER_SESSION running and queued jobs per owner)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None or _DEFAULT._closed:
            _DEFAULT = JobPool(jobs_per_worker=resolve_workers(os.environ.get("KDVIZ_JOBS_PER_WORKER") or 4),
                               per_owner=runs_per_session())
        return _DEFAULT


def runs_per_session() -> int:
    """Running and queued jobs one session may have in the shared pool: KDVIZ_RUNS_PER_SESSION, else RUNS_PER_SESSION."""
    raw = os.environ.get("KDVIZ_RUNS_PER_SESSION", "").strip()
    if not raw:
        return RUNS_PER_SESSION
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"KDVIZ_RUNS_PER_SESSION must be a whole number >= 1, got {raw!r}")
    return int(raw)


def release_owner(owner: Any, grace: float | None = None) -> None:
    """``owner``'s session disconnected: stop its jobs in the shared pool after ``grace`` seconds
    (KDVIZ_RECONNECT_SECONDS, default RECONNECT_SECONDS) unless reclaim_owner is called first.
    Creates no pool."""
    pool = _DEFAULT
    if pool is not None and not pool._closed:
        if grace is None:
            grace = float(os.environ.get("KDVIZ_RECONNECT_SECONDS") or RECONNECT_SECONDS)
        pool.release_owner(owner, grace)


def reclaim_owner(owner: Any) -> bool:
    """``owner``'s session is back: keep its jobs (True if a pending stop was cancelled)."""
    pool = _DEFAULT
    return pool is not None and pool.reclaim_owner(owner)
