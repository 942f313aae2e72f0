"""Background training jobs: tasks train in chunks off the page's thread, in a bounded shared pool.

A *task* is a picklable description ``(fn_or_path, config)``. ``fn`` is a module-level function
(or a ``"package.module:function"`` path) called as ``fn(config, emit, control)``: it trains in
chunks, calls ``emit(snapshot)`` with a picklable progress/history snapshot after each chunk and
``control.proceed()`` before each chunk (it blocks while the job is paused and returns False
once the job is stopped). A ``"progress"`` key in a dict snapshot, or ``emit(s, progress=p)``,
sets ``job.progress``.

Backends (bench/bench_jobs.py measures both):
- ``"process"`` (default): long-lived worker processes (spawn or forkserver, torch imported once
  per worker, one torch thread each, ``nice`` 10 below the server) run the tasks; snapshots come
  back pickled over a queue per worker, drained by a collector thread. Training runs beside the
  web server instead of inside its interpreter, at the cost of a one-time start of the workers
  and the memory each holds.
- ``"thread"``: tasks run on threads of this process: instant start, no extra memory, but the
  interpreter lock caps all training at about one core, taken from the web server itself.

Fair share: one owner may have at most ``per_owner`` jobs running or queued (OwnerLimit beyond), and
owners that compute on one worker get proportionally fair shares of it (kdviz.jobs.fairness), so a
session with jobs on every worker leaves a shared worker to a session with a single job.

Time slices: a worker hosts several jobs (``jobs_per_worker``) that take turns of ``slice_seconds``
of compute, one turn per owner in rotation (kdviz.jobs.slices); a task gives its turn away at
``control.proceed()`` and at ``control.tick()``, a preemption point cheap enough to call before
every optimiser step (kdviz.experiments.task installs it as the engine's step hook), where pause
and stop also take effect. A worker that dies is replaced; only the jobs it had started fail
(WORKER_LOST). An owner whose connection dropped keeps its jobs for a grace period
(release_owner / reclaim_owner).

Both speak one protocol. The pool (server side) owns the slots and sends "start", "pause", "go"
and "stop" to a worker loop (_serve); the worker loop answers "ready", "started", "snap",
"paused" and "end". A paused job gives its slot to the next queued job; resumed jobs queue again
in submission order, so pausing never loses a job its place in line. Paused jobs beyond a few per
owner and worker park their runs' tensors on disk until they resume (kdviz.jobs.parking).

Streamlit wiring (this module never imports streamlit)::

    @st.cache_resource(scope="session", on_release=release_owner)
    def session_owner() -> str:
        return uuid.uuid4().hex
"""
from kdviz.jobs.demo import demo_task
from kdviz.jobs.pool import WORKER_LOST, Job, JobPool, OwnerLimit, default_pool, reclaim_owner, release_owner
from kdviz.jobs.worker import (
    BACKENDS,
    STATES,
    TERMINAL,
    Control,
    JobStopped,
    load_callable,
    resolve_backend,
    resolve_task,
    resolve_workers,
)

__all__ = ["BACKENDS", "Control", "Job", "JobPool", "JobStopped", "OwnerLimit", "STATES", "TERMINAL", "WORKER_LOST", "default_pool", "demo_task", "load_callable", "reclaim_owner", "release_owner", 'resolve_backend', 'resolve_task', 'resolve_workers']
