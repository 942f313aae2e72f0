"""Results without a click, and results that no longer match the settings.

On first load a training page shows the final snapshot stored for its current settings
(kdviz.experiments.cache), warmed for every page's defaults once per server by a background
process (``python -m kdviz prepare``: light runs first, one torch thread, at a low priority), with
a line saying it was computed ahead and that Start trains it live; while that result is still
being computed the page says so and Start works as usual. When the settings change after a run,
the run's results stay on the page, dimmed and labelled stale.
"""
from __future__ import annotations

import atexit
import dataclasses
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable

import streamlit as st

from kdviz import prepare, site
from kdviz.experiments import cache
from ui import jobs, messages

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[1]
WARM_NICE = 10  # the warm-up process yields the cores to page runs and to the workers' live jobs
CACHED_LINE = "Computed ahead for these settings on this server; **Start** trains it live."
WARMING_LINE = ("Being computed ahead on this server (its warm-up computes every page's first result in turn); it "
                "shows here once it is ready, on your next visit. **Start** trains it now.")
STALE_CSS = "<style>[class*='st-key-stale_'] {opacity: 0.4; filter: grayscale(0.6);}</style>"


def warm_command() -> list[str]:
    """The warm-up: ``python -m kdviz prepare`` on the CPU, as the workers train (kdviz.prepare: every page's
    first-load results, light runs first, the teachers they store on the way, what is stored skipped), under
    ``nice`` where the system has it."""
    nice = shutil.which("nice")
    return [*([nice, "-n", str(WARM_NICE)] if nice else []),
            sys.executable, "-m", "kdviz", "prepare", "--device", "cpu", "--progress", "lines"]


def _stop(proc: subprocess.Popen) -> None:
    """End the warm-up with the server (it keeps every result finished before; a rerun of it goes on from there)."""
    if proc.poll() is None:
        proc.terminate()


@st.cache_resource(show_spinner=False)
def start_warming() -> subprocess.Popen | None:
    """Once per server: start the warm-up process (warm_command: one process, one torch thread, niced by
    WARM_NICE), so heavy runs never hold the server's interpreter; KDVIZ_WARM=0 turns it off."""
    if os.environ.get("KDVIZ_WARM", "1") == "0":
        return None
    try:
        proc = subprocess.Popen(warm_command(), cwd=ROOT, env={**os.environ, "OMP_NUM_THREADS": "1"},
                                stdin=subprocess.DEVNULL)
    except OSError:
        log.exception("the warm-up could not start; pages train on Start")
        return None
    atexit.register(_stop, proc)
    return proc


def warming(name: str, cfg) -> bool:
    """Whether the warm-up is running and will compute ``name`` with ``cfg`` (a page's defaults) but has not yet."""
    proc = start_warming()
    return (proc is not None and proc.poll() is None and (name, cfg) in site.warm_runs()
            and prepare.absent_data(cfg) is None)


def cached_job(name: str, cfg) -> SimpleNamespace:
    """A finished job standing in for the stored result of ``name`` with ``cfg`` (its id names that result,
    so figures kept for it are never shown for another)."""
    return SimpleNamespace(id=f"{jobs.STORED}{cache.key(name, cfg)}", version=0, state="done", done=True, progress=1.0,
                           error=None, queue_position=None, requested=None, wait_seconds=None, cost=None)


def show_cached(job_key: str, name: str, cfg, draw: Callable[[Any, Any], None]) -> bool:
    """When this session has no job under ``job_key``: draw the stored result of ``name`` for ``cfg``
    with its explanatory line and return True; False when there is none (the page draws as usual, under a line
    saying it is being computed when the warm-up will compute it)."""
    if jobs.current(job_key) is not None:
        return False
    snap = cache.load(name, cfg)
    if snap is None:
        if warming(name, cfg):
            st.info(WARMING_LINE, icon=":material/hourglass_top:")
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


def data_notice(cfg) -> bool:
    """When ``cfg`` trains on real images that are not on this machine: the one line saying how to get them
    (kdviz.prepare.absent_data, as the command line says it), and True; else nothing and False."""
    line = prepare.absent_data(cfg)
    if line is not None:
        messages.warn(line, icon=":material/image_not_supported:")
    return line is not None


def view(job_key: str, name: str, cfg, draw: Callable[[Any, Any], None]) -> None:
    """A page's results: the live job (dimmed when stale), else the stored result for ``cfg``, else the idle view;
    above them, how to get the real images ``cfg`` needs when they are missing."""
    data_notice(cfg)
    with freshness(job_key, cfg):
        if not show_cached(job_key, name, cfg, draw):
            jobs.live_view(job_key, draw)
