"""Background jobs on a page: start one per session and key, and redraw it live while it runs.

The pool is shared by every session of the server (kdviz.jobs.default_pool); each browser
session is one owner, and its jobs are stopped once the session is really gone (a dropped
websocket that reconnects within the reconnection window keeps them). A live view is an
st.fragment that polls the job's latest snapshot while it runs (every POLL_SECONDS alone, slower
when many watch), stops polling when it ends (one full rerun turns the timer off), and shows the
queue position and the estimated wait while it waits for a free worker. Figures are kept per job
and only their data replaced on a new snapshot (kept_figure).
"""
from __future__ import annotations

import threading
import time
import uuid
from typing import Any, Callable

import streamlit as st

from kdviz.experiments import budget
from kdviz.experiments.protocol import Phase
from kdviz.experiments.task import cost as task_cost
from kdviz.jobs import Job, OwnerLimit, default_pool, reclaim_owner, release_owner
from ui.figure_cache import FigureTemplates
from ui.figures import frozen, shared

POLL_SECONDS = 0.25  # alone: four redraws a second
MAX_POLL_SECONDS = 3.0
REDRAW_CPU_SECONDS = 0.02  # server CPU of one live redraw, whole path (bench/bench_load.py --users 1 --trainers-only)
REDRAW_CPU_SHARE = 0.3  # of one core, at most, for every watcher's redraws together
SMALL_RUN_SECONDS = 30.0  # runs this short (every page's defaults) always queue, however busy the server
SERVER_BUDGET_SECONDS = 1800.0  # estimated work in flight above which longer runs are refused
_WATCHERS: dict[tuple[str, str], float] = {}  # (owner, key) -> when its live view last polled
_WATCHERS_LOCK = threading.Lock()
TEMPLATES = FigureTemplates()  # server-wide first builds of live figures, by (figure name, template)
STORED = "cached:"  # the id prefix of a job standing in for a stored result (ui.results.cached_job)


class RunRefused(ValueError):
    """A run the server will not take now; the message says why and what to do."""


@st.cache_resource(show_spinner=False)
def warm_pool() -> None:
    """Start the shared worker pool once per server, so the first Start click does not wait for it."""
    default_pool()


@st.cache_resource(scope="session", on_release=release_owner, show_spinner=False)
def _connection(owner: str) -> str:
    """Held while this session's websocket is connected: Streamlit releases it when the connection
    drops (release_owner schedules the stop), and a reconnect computes it again (reclaim_owner)."""
    reclaim_owner(owner)
    return owner


def session_owner() -> str:
    """This browser session's id (kept in its session state, so it survives a reconnect)."""
    owner = st.session_state.get("_jobs.owner")
    if owner is None:
        owner = st.session_state["_jobs.owner"] = uuid.uuid4().hex
    return _connection(owner)


def current(key: str) -> Job | None:
    """The job this session started under ``key`` (None if none)."""
    return st.session_state.get(f"_job.{key}")


def admission(seconds: float | None) -> str | None:
    """Why a run of ``seconds`` (estimated, alone) is refused now, or None when it may queue.

    Too long for this server: refused. While the work in flight exceeds SERVER_BUDGET_SECONDS,
    only runs up to SMALL_RUN_SECONDS (every page's defaults) are taken."""
    too_long = budget.refusal(seconds)
    if too_long or seconds is None or seconds <= SMALL_RUN_SECONDS:
        return too_long
    pool = default_pool()
    ahead = pool.in_flight()
    if ahead + seconds > SERVER_BUDGET_SECONDS:
        return (f"The server is full: {budget.duration(ahead / pool.size)[6:]} of training are ahead of this run, "
                f"which would take {budget.duration(seconds)} on its own. Try again in a few minutes, or "
                "lower Steps, Seeds or the widths (runs under half a minute always queue).")
    return None


def start(key: str, task: tuple[Callable | str, Any]) -> Job:
    """Stop this session's job under ``key`` (if any) and submit ``task`` in its place (one running job
    per key and session). RunRefused, with the message to show, when the server will not take it (too long,
    the server full, or this session already has as many runs going as one session may)."""
    seconds = task_cost(task)
    refused = admission(seconds)
    if refused:
        raise RunRefused(refused)
    old = current(key)
    if old is not None and not old.done:
        old.stop()
    try:
        job = default_pool().submit(task, owner=session_owner(), cost=seconds)
    except OwnerLimit as limit:
        raise RunRefused(str(limit)) from None
    st.session_state[f"_job.{key}"] = job
    st.session_state[f"_job.{key}.polling"] = True
    return job


def forget(key: str) -> None:
    """Stop and drop this session's job under ``key`` (its worker frees the job's memory at once)."""
    job = current(key)
    if job is not None and not job.done:
        job.stop()
    st.session_state.pop(f"_job.{key}", None)
    st.session_state.pop(f"_job.{key}.figures", None)


def status_line(job: Job | None) -> str:
    """One sentence on where a job stands, for the page."""
    if job is None:
        return "Not started."
    if job.requested == "stop":
        return f"Stopping at {job.progress:.0%}…"
    if job.requested == "pause":
        return f"Pausing at {job.progress:.0%}…"
    if job.state == "queued":
        pos, wait = job.queue_position, job.wait_seconds
        if not pos:
            return "Starting…"
        when = f", starting in {budget.duration(wait)}" if wait else ""
        alone = f"; it then takes {budget.duration(job.cost)}" if job.cost else ""
        trouble = f" ({job.trouble[0].upper()}{job.trouble[1:]}.)" if job.trouble else ""
        return (f"Waiting for a free worker: number {pos} in the queue{when}{alone}. Every worker of this "
                f"server is busy; runs take turns, so yours starts as soon as a place frees up.{trouble}")
    return {"running": f"Training… {job.progress:.0%}", "paused": f"Paused at {job.progress:.0%}.",
            "done": "Finished.", "stopped": f"Stopped at {job.progress:.0%}.",
            "error": f"The run failed: {job.error}"}[job.state]


def show_status(job: Job) -> None:
    """The job's status line: an error box if it failed, a caption otherwise."""
    (st.error if job.state == "error" else st.caption)(status_line(job))


def header(job: Job | None, snap: Any, idle: str, finished: bool = True) -> Any:
    """Above a live view: ``idle`` when nothing was started, else the status, a progress bar while it runs and
    the phase it is in. Returns the snapshot when it holds results to draw, else None. ``finished`` False: the
    job ended on purpose before the configured end (a Step), so its page says where it stopped, not "Finished."."""
    if job is None:
        st.info(idle)
        return None
    if not stored(job) and (finished or not job.done):  # a stored result says so itself (ui.results)
        show_status(job)
    if not job.done:
        st.progress(job.progress)
    if snap is None or isinstance(snap, Phase):
        if snap is not None and not job.done:
            st.caption(snap.text)
        return None
    return snap


def poll_seconds(watchers: int) -> float:
    """Seconds between redraws when ``watchers`` live views poll: POLL_SECONDS alone, slower as more
    watch, so that all redraws together stay within REDRAW_CPU_SHARE of a core."""
    return min(MAX_POLL_SECONDS, max(POLL_SECONDS, watchers * REDRAW_CPU_SECONDS / REDRAW_CPU_SHARE))


def _watching(key: str, polling: bool) -> int:
    """Note that this session's view of ``key`` polls (or stopped); return how many views poll now."""
    now, me = time.monotonic(), (session_owner(), key)
    with _WATCHERS_LOCK:
        if polling:
            _WATCHERS[me] = now
        else:
            _WATCHERS.pop(me, None)
        for who, seen in list(_WATCHERS.items()):
            if now - seen > 2 * MAX_POLL_SECONDS + 5:
                del _WATCHERS[who]
        return len(_WATCHERS)


def kept_figure(key: str, name: str, job: Job | None, build: Callable[[Any], Any], variant: Any = None,
                template: Any = None) -> Any:
    """The figure ``name`` of the job under ``key``, kept across redraws and reruns.

    ``build(previous)`` makes it (previous is None) or updates the previous figure of the same job in
    place (a FigureSpec); it runs only when the job has a new snapshot or ``variant`` (what else the
    figure shows, e.g. a replay step) changed, so an unchanged redraw builds nothing. With a hashable
    ``template`` (e.g. the settings: every job with them draws the same frame), a job's first figure
    starts from a copy of the one first built for that template on this server (TEMPLATES), so the
    frame is built once per server, not once per job. The figures of a stored result (a job id starting
    with STORED) are built once per server and shared, read-only, by every session (ui.figures.shared).
    """
    if stored(job):  # a stored result: its figures never change
        return shared(name, (job.id, variant), lambda: build(None))
    store = st.session_state.setdefault(f"_job.{key}.figures", {})
    stamp = None if job is None else (job.id, job.version, variant)
    kept = store.get(name)
    if kept is not None and stamp is not None and kept[0] == stamp:
        return kept[1]
    same_job = kept is not None and stamp is not None and kept[0][0] == stamp[0]
    previous = kept[1] if same_job else None if template is None else TEMPLATES.copy((name, template))
    figure = frozen(build(previous))
    if template is not None and previous is None:
        TEMPLATES.keep((name, template), figure)
    store[name] = (stamp or ("", -1, None), figure)
    return figure


def chart(key: str, name: str, job: Job | None, build: Callable[[], Any], variant: Any = None, where: Any = st) -> None:
    """The job's figure ``name`` at full width in ``where`` (st or a column), with ``name`` as its element key:
    kept_figure, so ``build()`` runs only when the job has something new to show or ``variant`` changed."""
    where.plotly_chart(kept_figure(key, name, job, lambda _: build(), variant), width="stretch", key=name)


def per_job(widget: str, job: Job | None) -> None:
    """Forget the state of ``widget`` (e.g. a replay slider) when the job it belongs to is not the one it was last
    drawn for, so a new run, or the stored result shown after Reset, opens at the widget's default."""
    owner, now = f"_job.owner.{widget}", None if job is None else job.id
    if st.session_state.get(owner) != now:
        st.session_state.pop(widget, None)
        st.session_state[owner] = now


def stored(job: Job | None) -> bool:
    """Whether ``job`` stands in for a stored result (ui.results.cached_job) rather than a run."""
    return job is not None and str(job.id).startswith(STORED)


def live_view(key: str, draw: Callable[[Job | None, Any], None]) -> None:
    """Draw ``draw(job, snapshot)`` now, and again every poll_seconds() while the job runs."""
    job = current(key)
    polling = job is not None and not job.done
    interval = poll_seconds(_watching(key, polling)) if polling else None

    @st.fragment(run_every=interval)
    def view() -> None:
        live = current(key)
        if live is not None and not live.done:
            _watching(key, True)
        draw(live, live.snapshot() if live is not None else None)
        if live is not None and live.done and st.session_state.get(f"_job.{key}.polling"):
            st.session_state[f"_job.{key}.polling"] = False
            st.rerun(scope="app")  # one full rerun, so the fragment is redefined without a timer

    view()


def controls(key: str, make_task: Callable[[], tuple], prefix: str = "", pause: bool = False,
             step: Callable[[Job | None], tuple] | None = None, step_help: str | None = None) -> Job | None:
    """Draw the job buttons of the job under ``key``; return the current job.

    Start (disabled while a job runs) submits ``make_task()``; with ``pause``, Pause and Resume
    hold and continue it; with ``step``, Step submits ``step(current job)`` (a task that trains a
    little further, then stops); Reset stops and drops the job. Widget keys are ``prefix`` +
    "start", "pause", "resume", "step" and "reset".
    """
    job = current(key)
    wanted = None if job is None else job.requested  # a pending Pause or Stop shows at once
    running = job is not None and job.state in ("queued", "running") and wanted != "stop"
    cols = iter(st.columns([1, 1, 1, 1, 4] if pause or step else [1, 1, 6]))
    refused = st.session_state.pop(f"_job.{key}.refused", None)
    if next(cols).button("Start", type="primary", key=f"{prefix}start", disabled=running, icon=":material/play_arrow:"):
        _start_or_explain(key, make_task)
    if pause:
        col = next(cols)
        if job is not None and (job.state == "paused" or wanted == "pause"):
            if col.button("Resume", key=f"{prefix}resume", icon=":material/play_pause:"):
                job.resume()
                st.rerun()
        elif col.button("Pause", key=f"{prefix}pause", disabled=not running, icon=":material/pause:"):
            job.pause()
            st.rerun()
    if step is not None and next(cols).button("Step", key=f"{prefix}step", disabled=running,
                                              icon=":material/skip_next:", help=step_help):
        _start_or_explain(key, lambda: step(job))
    if next(cols).button("Reset", key=f"{prefix}reset", icon=":material/restart_alt:"):
        forget(key)
        st.rerun()
    if refused:
        st.warning(refused, icon=":material/hourglass_disabled:")
    return job


def _start_or_explain(key: str, make_task: Callable[[], tuple]) -> None:
    """Start the task and rerun; if the server refuses it, keep the message for the next run to show."""
    try:
        start(key, make_task())
    except RunRefused as refused:
        st.session_state[f"_job.{key}.refused"] = str(refused)
    st.rerun()
