"""Background jobs on a page: start one per session and key, and redraw it live while it runs.

The pool is shared by every session of the server (kdviz.jobs.default_pool); each browser
session is one owner, and its jobs are stopped when the session ends. A live view is an
st.fragment that polls the job's latest snapshot a few times a second while it runs, stops
polling when it ends (one full rerun turns the timer off), and shows the queue position while
it waits for a free worker.
"""
from __future__ import annotations

import uuid
from typing import Any, Callable

import streamlit as st

from kdviz.experiments.protocol import Phase
from kdviz.jobs import Job, default_pool, release_owner

POLL_SECONDS = 0.4


@st.cache_resource(show_spinner=False)
def warm_pool() -> None:
    """Start the shared worker pool once per server, so the first Start click does not wait for it."""
    default_pool()


@st.cache_resource(scope="session", on_release=release_owner, show_spinner=False)
def session_owner() -> str:
    """This browser session's id; when the session ends, its jobs are stopped."""
    return uuid.uuid4().hex


def current(key: str) -> Job | None:
    """The job this session started under ``key`` (None if none)."""
    return st.session_state.get(f"_job.{key}")


def start(key: str, task: tuple[Callable | str, Any]) -> Job:
    """Stop this session's job under ``key`` (if any) and submit ``task`` in its place."""
    old = current(key)
    if old is not None and not old.done:
        old.stop()
    job = default_pool().submit(task, owner=session_owner())
    st.session_state[f"_job.{key}"] = job
    st.session_state[f"_job.{key}.polling"] = True
    return job


def forget(key: str) -> None:
    """Stop and drop this session's job under ``key``."""
    job = current(key)
    if job is not None and not job.done:
        job.stop()
    st.session_state.pop(f"_job.{key}", None)


def status_line(job: Job | None) -> str:
    """One sentence on where a job stands, for the page."""
    if job is None:
        return "Not started."
    if job.state == "queued":
        pos = job.queue_position
        return (f"Waiting for a free worker: number {pos} in the queue. Every worker of this server is "
                "busy training; your run starts as soon as one frees up." if pos else "Starting…")
    return {"running": f"Training… {job.progress:.0%}", "paused": f"Paused at {job.progress:.0%}.",
            "done": "Finished.", "stopped": f"Stopped at {job.progress:.0%}.",
            "error": f"The run failed: {job.error}"}[job.state]


def show_status(job: Job) -> None:
    """The job's status line: an error box if it failed, a caption otherwise."""
    (st.error if job.state == "error" else st.caption)(status_line(job))


def header(job: Job | None, snap: Any, idle: str) -> Any:
    """Above a live view: ``idle`` when nothing was started, else the status, a progress bar while it runs and
    the phase it is in. Returns the snapshot when it holds results to draw, else None."""
    if job is None:
        st.info(idle)
        return None
    show_status(job)
    if not job.done:
        st.progress(job.progress)
    if snap is None or isinstance(snap, Phase):
        if snap is not None and not job.done:
            st.caption(snap.text)
        return None
    return snap


def live_view(key: str, draw: Callable[[Job | None, Any], None]) -> None:
    """Draw ``draw(job, snapshot)`` now, and again every POLL_SECONDS while the job runs."""
    job = current(key)
    polling = job is not None and not job.done

    @st.fragment(run_every=POLL_SECONDS if polling else None)
    def view() -> None:
        live = current(key)
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
    running = job is not None and job.state in ("queued", "running")
    cols = iter(st.columns([1, 1, 1, 1, 4] if pause or step else [1, 1, 6]))
    if next(cols).button("Start", type="primary", key=f"{prefix}start", disabled=running, icon=":material/play_arrow:"):
        start(key, make_task())
        st.rerun()
    if pause:
        col = next(cols)
        if job is not None and job.state == "paused":
            if col.button("Resume", key=f"{prefix}resume", icon=":material/play_pause:"):
                job.resume()
                st.rerun()
        elif col.button("Pause", key=f"{prefix}pause", disabled=not running, icon=":material/pause:"):
            job.pause()
            st.rerun()
    if step is not None and next(cols).button("Step", key=f"{prefix}step", disabled=running,
                                              icon=":material/skip_next:", help=step_help):
        start(key, step(job))
        st.rerun()
    if next(cols).button("Reset", key=f"{prefix}reset", icon=":material/restart_alt:"):
        forget(key)
        st.rerun()
    return job
