"""Threads vs processes for background training jobs on a shared workshop server; prints JSON.

For each backend of kdviz.jobs.JobPool: submit ``--jobs`` demo jobs (a 2-16-2 MLP distilled with
Adam on 2000 points, batch 64, Python-bound) to a pool of ``--workers``, while ``--pollers``
threads each poll one job at 2 Hz (snapshot + build a figure's JSON, as a page fragment would)
and the main thread runs a light interaction (a 1000-point Plotly-like JSON) every 50 ms,
alternating with a rerun-sized one (``--rerun-points``, 10000 by default).

Measures (1) the light interaction's latency (p50, p95, max) and the pollers' latency, (2) the
total training throughput (steps/s), (3) job start latency: dispatch -> task running, and
submit -> running on an idle pool. Also the server process's CPU time, which the web server
would otherwise have had.

    OMP_NUM_THREADS=1 python bench/bench_jobs.py [--jobs 30 --workers 2 --steps 1000]

``--parking``: instead, a default Live job paused in memory and parked (KDVIZ_PAUSED_IN_MEMORY 1 and 0):
the worker's memory idle, running, paused and after the job ends, and the seconds from Resume to the
next snapshot.
"""
from __future__ import annotations

import _root  # noqa: F401  (the repository root on sys.path)

import argparse
import json
import math
import os
import platform
import resource
import sys
import threading
import time

from kdviz.jobs import JobPool, demo_task


def light_interaction(n: int = 1000) -> str:
    """A light request handled by the server: an ``n``-point Plotly-like figure as JSON."""
    xs = [i / n for i in range(n)]
    ys = [math.sin(2 * math.pi * x) for x in xs]
    fig = {"data": [{"type": "scatter", "mode": "lines", "x": xs, "y": ys, "name": "student"}],
           "layout": {"title": {"text": "light interaction"}, "xaxis": {"range": [0, 1]}}}
    return json.dumps(fig)


def render_poll(snapshot: dict | None, n: int) -> str:
    """What one poll of a live page costs: the job's history plus an ``n``-point figure, as JSON."""
    loss = snapshot["loss"] if snapshot else []
    xs = [i / n for i in range(n)]
    fig = {"data": [{"type": "scatter", "y": loss}, {"type": "scatter", "x": xs, "y": [x * x for x in xs]}]}
    return json.dumps(fig)


def quantiles(values: list[float]) -> dict[str, float]:
    """p50, p95 and max of ``values`` in milliseconds (None when empty)."""
    if not values:
        return {"n": 0, "p50_ms": None, "p95_ms": None, "max_ms": None}
    v = sorted(values)
    ms = {f"p{round(100 * q)}_ms": round(1000 * v[min(len(v) - 1, int(q * len(v)))], 2) for q in (0.5, 0.95)}
    return {"n": len(v), **ms, "max_ms": round(1000 * v[-1], 2)}


def poller(job, points: int, period: float, out: list[float], stop: threading.Event) -> None:
    """Poll one job at 1/period Hz like a page fragment; stop polling once it ends."""
    while not stop.is_set():
        t0 = time.perf_counter()
        render_poll(job.snapshot(), points)
        _ = (job.state, job.progress, job.queue_position)
        out.append(time.perf_counter() - t0)
        if job.done:
            return
        stop.wait(period)


def worker_rss_mb(pool) -> list[float]:
    """Resident memory of each worker process in MB (empty for the thread backend)."""
    out = []
    for w in pool._workers:
        pid = getattr(w.runner, "pid", None)
        if pid is None:
            continue
        with open(f"/proc/{pid}/status") as f:
            out += [round(int(line.split()[1]) / 1024, 1) for line in f if line.startswith("VmRSS")]
    return out


def cpu_seconds() -> float:
    """User + system CPU time of this process (all its threads, not its children)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def idle_latency(samples: int, points: int) -> dict:
    """The interaction with ``points`` points with nothing else running."""
    lat = []
    for _ in range(samples):
        t0 = time.perf_counter()
        light_interaction(points)
        lat.append(time.perf_counter() - t0)
    return quantiles(lat)


def run_backend(name: str, args) -> dict:
    """Measure one backend ("thread", "process", or "process-niceN") under the workshop load."""
    backend, _, nice = name.partition("-nice")
    t0 = time.monotonic()
    pool = JobPool(workers=args.workers, backend=backend, **({"nice": int(nice)} if nice else {}))
    ready = pool.wait_ready(120)
    worker_start = time.monotonic() - t0
    try:
        solo = pool.submit((demo_task, {"steps": 50, "chunk": 25, "seed": 999}))  # idle pool, warm workers
        solo.wait(60)
        solo_start = solo.started_at - solo.submitted_at
        solo_first = None if solo.version == 0 else solo.ended_at - solo.submitted_at

        stop = threading.Event()
        polls: list[float] = []
        cpu0, t_submit = cpu_seconds(), time.monotonic()
        jobs = [pool.submit((demo_task, {"steps": args.steps, "chunk": 25, "seed": i}), owner=f"user{i}")
                for i in range(args.jobs)]
        threads = [threading.Thread(target=poller, args=(j, args.poll_points, 0.5, polls, stop), daemon=True)
                   for j in jobs[: args.pollers]]
        for th in threads:
            th.start()
        lat: list[float] = []
        rerun: list[float] = []
        while not all(j.done for j in jobs) and time.monotonic() - t_submit < args.cap:
            for points, out in ((1000, lat), (args.rerun_points, rerun)):
                t = time.perf_counter()
                light_interaction(points)
                out.append(time.perf_counter() - t)
                time.sleep(args.interval)
        rss = worker_rss_mb(pool)
        elapsed = time.monotonic() - t_submit
        cpu = cpu_seconds() - cpu0
        finished = all(j.done for j in jobs)
        stop.set()
        steps_done = sum((j.snapshot() or {"step": 0})["step"] for j in jobs)
        started = [j for j in jobs if j.started_at is not None]
        return {
            "backend": backend,
            "nice": pool.nice if backend == "process" else None,
            "workers_ready": ready,
            "worker_start_s": round(worker_start, 2),
            "idle_pool_start_ms": round(1000 * solo_start, 1),
            "idle_pool_50_steps_s": None if solo_first is None else round(solo_first, 3),
            "all_done": finished,
            "elapsed_s": round(elapsed, 2),
            "errors": [j.error for j in jobs if j.state == "error"],
            "light_interaction": quantiles(lat),
            "rerun_sized_interaction": quantiles(rerun),
            "poll": quantiles(polls),
            "throughput_steps_per_s": round(steps_done / elapsed, 1),
            "steps_done": steps_done,
            "start_latency_dispatch_to_running": quantiles([j.started_at - j.dispatched_at for j in started]),
            "queue_wait_s_max": round(max(j.dispatched_at - j.submitted_at for j in started), 2),
            "server_cpu_s": round(cpu, 2),
            "server_cpu_share": round(cpu / elapsed, 2),
            "worker_rss_mb": rss,
        }
    finally:
        pool.shutdown()


def parking_case(in_memory: int) -> dict:
    """One default Live job on a fresh one-worker pool, paused with ``in_memory`` paused jobs kept in memory."""
    from kdviz.experiments import live
    from kdviz.experiments.task import job as experiment_job

    os.environ["KDVIZ_PAUSED_IN_MEMORY"] = str(in_memory)
    pool = JobPool(workers=1, emit_interval=0.0)
    try:
        pool.wait_ready(120)
        time.sleep(1.0)
        rss = {"idle": worker_rss_mb(pool)[0]}
        job = pool.submit(experiment_job("live", live.LiveConfig(steps=5000), device="cpu"), owner="me")
        while not (isinstance(job.snapshot(), live.LiveSnapshot) and job.progress > 0.5) and not job.done:
            time.sleep(0.01)
        rss["running"] = worker_rss_mb(pool)[0]
        job.pause()
        while job.state != "paused":
            time.sleep(0.005)
        time.sleep(1.0)  # the worker parks after it confirmed the pause
        rss["paused"] = worker_rss_mb(pool)[0]
        version, t0 = job.version, time.monotonic()
        job.resume()
        while job.version == version and not job.done:
            time.sleep(0.001)
        resume_s = time.monotonic() - t0
        job.stop()
        job.wait(60)
        time.sleep(1.0)
        rss["ended"] = worker_rss_mb(pool)[0]
        return {"paused_in_memory": in_memory, "worker_rss_mb": rss, "resume_to_next_snapshot_s": round(resume_s, 3)}
    finally:
        pool.shutdown()


def main() -> None:
    """Parse options, run the idle baseline and each backend, print one JSON document."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=30)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--pollers", type=int, default=30)
    ap.add_argument("--steps", type=int, default=1000, help="training steps per job")
    ap.add_argument("--poll-points", type=int, default=1000, help="points in the figure a poll builds")
    ap.add_argument("--rerun-points", type=int, default=10000, help="points in the rerun-sized interaction")
    ap.add_argument("--interval", type=float, default=0.05, help="seconds between light interactions")
    ap.add_argument("--cap", type=float, default=120.0, help="stop measuring a backend after this many seconds")
    ap.add_argument("--backends", default="thread,process,process-nice0",
                    help="comma-separated: thread, process (workers at nice 10), process-niceN")
    ap.add_argument("--parking", action="store_true", help="instead: a paused Live job in memory and parked")
    args = ap.parse_args()
    if args.parking:
        print(json.dumps([parking_case(n) for n in (1, 0, 1, 0)], indent=1))
        return
    import torch

    torch.set_num_threads(1)
    out = {
        "machine": {"cpus": os.cpu_count(), "affinity": len(os.sched_getaffinity(0)),
                    "python": platform.python_version(), "torch": torch.__version__, "switch_interval_ms": sys.getswitchinterval() * 1000,
                    "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS")},
        "config": vars(args),
        "idle_light_interaction": idle_latency(200, 1000),
        "idle_rerun_sized_interaction": idle_latency(50, args.rerun_points),
    }
    for backend in args.backends.split(","):
        out[backend] = run_backend(backend.strip(), args)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
