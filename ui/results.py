"""Results without a click, and results that no longer match the settings.

On first load a training page shows the final snapshot stored for its current settings
(kdviz.experiments.cache), warmed for every page's defaults by one background thread per server,
with a line saying it was computed ahead and that Start trains it live. When the settings change
after a run, the run's results stay on the page, dimmed and labelled stale.
"""
from __future__ import annotations

import dataclasses
import logging
import os
import threading
from types import SimpleNamespace
from typing import Any, Callable

import streamlit as st

from kdviz import site
from kdviz.experiments import cache, live
from ui import jobs

log = logging.getLogger(__name__)
WARM_NICE = 10  # the warm-up thread yields the cores to page runs and to the workers' live jobs
CACHED_LINE = "Computed ahead for these settings on this server; **Start** trains it live."
STALE_CSS = "<style>[class*='st-key-stale_'] {opacity: 0.4; filter: grayscale(0.6);}</style>"


def warm_all() -> None:
    """The warm-up: first the Live defaults' teacher (Start's first frame waits for it in whichever worker
    runs the job; the disk store shares it), then every page's default results. At a lower priority
    where the system allows it; never raises."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), WARM_NICE)  # Linux: this thread only
    except (AttributeError, OSError):
        pass
    try:
        live.teacher(live.LiveConfig(), "cpu")
    except Exception:  # noqa: BLE001 - logged; Start then trains the teacher itself
        log.exception("warming the Live teacher failed")
    cache.warm(site.warm_runs())


@st.cache_resource(show_spinner=False)
def start_warming() -> threading.Thread | None:
    """Once per server: compute the defaults' results in a background thread (KDVIZ_WARM=0 turns it off)."""
    if os.environ.get("KDVIZ_WARM", "1") == "0":
        return None
    thread = threading.Thread(target=warm_all, name="kdviz-warm", daemon=True)
    thread.start()
    return thread


def cached_job(name: str, cfg) -> SimpleNamespace:
    """A finished job standing in for the stored result of ``name`` with ``cfg`` (its id names that result,
    so figures kept for it are never shown for another)."""
    return SimpleNamespace(id=f"{jobs.STORED}{cache.key(name, cfg)}", version=0, state="done", done=True, progress=1.0,
                           error=None, queue_position=None, requested=None, wait_seconds=None, cost=None)


def show_cached(job_key: str, name: str, cfg, draw: Callable[[Any, Any], None]) -> bool:
    """When this session has no job under ``job_key``: draw the stored result of ``name`` for ``cfg``
    with its explanatory line and return True; False when there is none (the page draws as usual)."""
    if jobs.current(job_key) is not None:
        return False
    snap = cache.load(name, cfg)
    if snap is None:
        return False
    st.success(CACHED_LINE, icon=":material/bolt:")
    draw(cached_job(name, cfg), snap)
    return True


def task(job_key: str, cfg, make: Callable[[], tuple]) -> Callable[[], tuple]:
    """``make`` wrapped to remember the settings a job was started with (for ``stale``)."""
    def started() -> tuple:
        st.session_state[f"_job_cfg.{job_key}"] = cfg
        return make()

    return started


def started_with(job_key: str):
    """The settings this session's job under ``job_key`` was started with (None before a Start)."""
    return st.session_state.get(f"_job_cfg.{job_key}")


def changed_fields(old, new) -> list[str]:
    """Labels of the settings that differ between two configs of one class."""
    return [f.metadata.get("label", f.name) for f in dataclasses.fields(new) if getattr(old, f.name) != getattr(new, f.name)]


def freshness(job_key: str, cfg):
    """A container for a job's results: dimmed, under a 'stale' notice, when the settings changed since it started."""
    old = started_with(job_key)
    if jobs.current(job_key) is None or old is None or type(old) is not type(cfg) or old == cfg:
        return st.container()
    st.warning("Stale: the results below are for earlier settings (changed: " + ", ".join(changed_fields(old, cfg))
               + "). Press **Start** to train with the current ones.", icon=":material/history:")
    st.html(STALE_CSS)
    return st.container(key=f"stale_{job_key.replace('.', '_')}")


def view(job_key: str, name: str, cfg, draw: Callable[[Any, Any], None]) -> None:
    """A page's results: the live job (dimmed when stale), else the stored result for ``cfg``, else the idle view."""
    with freshness(job_key, cfg):
        if not show_cached(job_key, name, cfg, draw):
            jobs.live_view(job_key, draw)
