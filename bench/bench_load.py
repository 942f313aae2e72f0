"""Load test of a workshop server over Streamlit's websocket protocol, on loopback; prints JSON per N.

Starts ``streamlit run app.py`` itself (127.0.0.1, a free port), then for each N in ``--users``:
N simulated users open Live training, press Start with the defaults and follow the fragment's
redraws (answering its auto-rerun timer, as a browser does) until the result shows, ``--runs``
times in a row; meanwhile a probe user reruns the Temperature page every second (the light
interaction) and a new visitor opens Home every few seconds. Every loop is bounded in count and
time; the server is stopped at the end. Reports light-interaction latency, Start-to-result times,
runs finished/started, queue messages seen, errors, the server's and workers' RSS and CPU, and the
CPU this client itself takes from the same cores. It first waits for the server's warm-up to store
every page's default result (as on a server started before the class). ``--largest`` adds one
scenario: a default run's Start-to-result alone, then while another session trains the largest
run the server accepts. ``--steady`` adds the server's CPU per live redraw in the steady state of
one long run alone (the redraw cost a workshop pays per watching user).

    OMP_NUM_THREADS=1 python bench/bench_load.py --users 30 [--users 50] [--runs 3] [--limit 300] [--largest] [--steady]

``--balancer http://HOST:PORT`` loads a class of replicas behind a balancer (deploy/classroom.py) instead: each
simulated browser keeps the balancer's sticky cookie, and the replicas' own memory and CPU are not reported.
"""
from __future__ import annotations

import _root  # noqa: F401  (the repository root on sys.path)

import argparse
import asyncio
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from _root import ROOT

TICK = os.sysconf("SC_CLK_TCK")


# ----------------------------------------------------------------------------- the server
def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, timeout: float = 60.0, root=ROOT) -> subprocess.Popen:
    """Start the app of checkout ``root`` on 127.0.0.1:port and wait for its health endpoint (at most ``timeout`` s)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--server.headless", "true"],
                            cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.25)
    stop_server(proc)
    raise RuntimeError("the server did not answer /_stcore/health in time")


def wait_for_warm_cache(timeout: float = 900.0) -> float:
    """Wait until the server's warm-up stored every page's default result (as it would have long before
    a class arrives); return the seconds waited. The bench and the server share KDVIZ_CACHE_DIR."""
    from kdviz.experiments import cache
    from kdviz.site import warm_runs

    wanted = [cache.cache_dir() / cache.key(name, cfg) for name, cfg in warm_runs()]
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout and not all(p.exists() for p in wanted):
        time.sleep(1.0)
    return time.monotonic() - t0


def stop_server(proc: subprocess.Popen) -> None:
    """Stop the server and its workers (its whole process group)."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def proc_stats(pid: int) -> tuple[float, float]:
    """(RSS in MB, CPU seconds) of one process."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    with open(f"/proc/{pid}/status") as f:
        rss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024
    return rss, (int(fields[11]) + int(fields[12])) / TICK


def client_cpu() -> float:
    """CPU seconds of this load-test process (the simulated browsers share the server's cores)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def children(pid: int) -> list[int]:
    """Direct child processes of ``pid`` (the job workers of the server)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


# ----------------------------------------------------------------------------- one simulated browser
class Browser:
    """One websocket session: sends reruns, reads ForwardMsgs, answers the fragment's auto-rerun timer."""

    def __init__(self, url: str):
        self.url, self.ws, self.session_id = url, None, None
        self.pages: dict[str, str] = {}  # url path -> page script hash
        self.page_hash = ""
        self.buttons: dict[str, str] = {}  # label -> widget id
        self.texts: list[str] = []  # texts of the last run
        self.auto: tuple[str, float] | None = None  # (fragment id, interval) of the live view's timer
        self.errors: list[str] = []
        self.charts = 0  # plotly charts drawn by the last run
        self.query = ""  # the URL's query string (the page's settings) sent with every rerun
        self.cookies = ""  # the Cookie header a balancer asked for (its sticky-session cookie)

    async def connect(self) -> None:
        """Open the websocket (reconnecting to the same session if there was one, with the cookies a balancer
        set on the first connection, so that it sends the reconnect to the same replica)."""
        protocols = ["streamlit", "x", self.session_id] if self.session_id else ["streamlit"]
        headers = {"Cookie": self.cookies} if self.cookies else None
        self.ws = await websockets.connect(self.url, subprotocols=protocols, max_size=None, open_timeout=30,
                                           additional_headers=headers)
        sticky = "; ".join(c.split(";")[0] for c in self.ws.response.headers.get_all("Set-Cookie"))
        self.cookies = sticky or self.cookies

    async def run(self, page: str | None = None, widgets: list | None = None, fragment: str | None = None,
                  timeout: float = 30.0) -> float:
        """One rerun (of ``page``, or the current page's ``fragment``): seconds until it finished."""
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = self.query
        if page is not None:
            state.page_name = page
            state.page_script_hash = self.pages.get(page, "")
        else:
            state.page_script_hash = self.page_hash
            state.page_name = next((name for name, h in self.pages.items() if h == self.page_hash), "")
        if fragment:
            state.fragment_id, state.is_auto_rerun = fragment, True
        for wid in widgets or ():
            state.widget_states.widgets.add(id=wid, trigger_value=True)
        self.texts, self.charts = [], 0
        if fragment is None:  # a full run: its buttons and timers replace the old ones
            self.buttons, self.auto = {}, None
        t0 = time.monotonic()
        await self.ws.send(msg.SerializeToString())
        while True:
            raw = await asyncio.wait_for(self.ws.recv(), max(0.1, timeout - (time.monotonic() - t0)))
            fwd = ForwardMsg()
            fwd.ParseFromString(raw)
            if self.read(fwd):
                return time.monotonic() - t0

    def read(self, fwd: ForwardMsg) -> bool:
        """Apply one ForwardMsg; True when the rerun finished."""
        kind = fwd.WhichOneof("type")
        if kind == "new_session":
            self.session_id = fwd.new_session.initialize.session_id or self.session_id
            self.pages.update({p.url_pathname: p.page_script_hash for p in fwd.new_session.app_pages})
            self.page_hash = fwd.new_session.page_script_hash or self.page_hash
        elif kind == "navigation":
            self.pages.update({p.url_pathname: p.page_script_hash for p in fwd.navigation.app_pages})
            self.page_hash = fwd.navigation.page_script_hash or self.page_hash
        elif kind == "auto_rerun":
            self.auto = (fwd.auto_rerun.fragment_id, fwd.auto_rerun.interval)
        elif kind == "stop_auto_rerun":
            self.auto = None
        elif kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
            self.element(fwd.delta.new_element)
        if kind == "script_finished" and fwd.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
            self.texts, self.buttons, self.auto = [], {}, None  # st.rerun(): read the run that follows
            return False
        return kind == "script_finished"

    def element(self, el) -> None:
        """Remember buttons and texts; count exceptions and error boxes."""
        kind = el.WhichOneof("type")
        if kind == "plotly_chart":
            self.charts += 1
        elif kind == "button":
            self.buttons[el.button.label] = el.button.id
        elif kind in ("markdown", "alert", "heading"):
            body = getattr(el, kind).body
            self.texts.append(body)
            if kind == "alert" and el.alert.format == 1:  # ERROR
                self.errors.append(body)
        elif kind == "exception":
            self.errors.append(f"{el.exception.type}: {el.exception.message}")

    async def close(self) -> None:
        """Close the websocket."""
        if self.ws is not None:
            await self.ws.close()


# ----------------------------------------------------------------------------- the users
async def trainer(url: str, runs: int, limit: float, out: dict, server_pid: int | None = None) -> None:
    """Open Live training, press Start and follow the redraws to the result, ``runs`` times.

    With ``server_pid`` (one trainer alone), the server's CPU during each redraw that drew the
    figures is recorded: the cost of one live redraw."""
    b = Browser(url)
    try:
        await b.connect()
        await b.run("live", timeout=limit)
        for _ in range(runs):
            start = b.buttons.get("Start")
            if start is None:
                out["errors"].append("no Start button")
                return
            t0 = time.monotonic()
            out["started"] += 1
            await b.run(widgets=[start], timeout=limit)
            redraws = 0
            while time.monotonic() - t0 < limit and redraws < 10_000:
                if any(t.startswith("Waiting for a free worker") for t in b.texts):
                    out["queue_messages"] += 1
                if "Finished." in b.texts:
                    break
                if b.auto is None:  # no timer (yet): a full rerun, as a browser's next interaction would
                    await asyncio.sleep(0.5)
                    await b.run(page=None, timeout=limit)
                    continue
                fragment, interval = b.auto
                await asyncio.sleep(interval)
                before = proc_stats(server_pid)[1] if server_pid else 0.0  # clock ticks, ended threads included
                await b.run(fragment=fragment, timeout=limit)
                if server_pid and b.charts:
                    out["chart_redraw_cpu"].append(proc_stats(server_pid)[1] - before)
                redraws += 1
            else:
                out["unfinished"] += 1
                continue
            out["start_to_result"].append(time.monotonic() - t0)
            out["redraws"] += redraws
    except (asyncio.TimeoutError, websockets.WebSocketException, OSError) as exc:
        out["errors"].append(f"trainer: {type(exc).__name__}: {exc}")
    finally:
        out["errors"].extend(b.errors)
        await b.close()


async def probe(url: str, stop: asyncio.Event, out: dict) -> None:
    """Rerun the Temperature page every second (a light interaction elsewhere) until ``stop``."""
    b = Browser(url)
    try:
        await b.connect()
        await b.run("temperature", timeout=60)
        for _ in range(3600):
            if stop.is_set():
                return
            out["light"].append(await b.run("temperature", timeout=60))
            await asyncio.sleep(1.0)
    except (asyncio.TimeoutError, websockets.WebSocketException, OSError) as exc:
        out["errors"].append(f"probe: {type(exc).__name__}")
    finally:
        await b.close()


async def visitors(url: str, stop: asyncio.Event, every: float, out: dict) -> None:
    """A new visitor opens Home every ``every`` seconds until ``stop``; record their first page's time."""
    for _ in range(3600):
        if stop.is_set():
            return
        b = Browser(url)
        try:
            t0 = time.monotonic()
            await b.connect()
            await b.run("", timeout=60)
            out["first_page"].append(time.monotonic() - t0)
        except (asyncio.TimeoutError, websockets.WebSocketException, OSError) as exc:
            out["errors"].append(f"visitor: {type(exc).__name__}")
        finally:
            await b.close()
        await asyncio.sleep(every)


def largest_live_query() -> tuple[str, float]:
    """The Live training settings of the largest run this server accepts (the widest nets, most points,
    steps and seeds whose estimated time stays within KDVIZ_MAX_RUN_SECONDS): (URL query, estimated seconds)."""
    from urllib.parse import urlencode

    from kdviz.experiments import budget, live

    limit, best = budget.max_run_seconds(), None
    for width in (512, 384, 256, 192, 128, 96, 64, 32):
        for teacher in ("512, 512", "256, 256", "128, 128"):
            cfg = live.LiveConfig(n=10_000, steps=5000, seeds=5, teacher=teacher, student=f"{width}, {width}")
            seconds = budget.estimate("live", cfg)
            if seconds is not None and seconds <= limit and (best is None or seconds > best[0]):
                best = seconds, cfg
    seconds, cfg = best
    return urlencode({"n": cfg.n, "steps": cfg.steps, "seeds": cfg.seeds, "teacher": cfg.teacher,
                      "student": cfg.student}), seconds


async def follow(b: Browser, until, on_redraw=None) -> None:
    """Answer the live view's redraw timer (a full rerun while it has none) until ``until()`` holds; with
    ``on_redraw``, each fragment redraw is ``await on_redraw(redraw)``, redraw() running it (bounded: 100,000 rounds)."""
    for _ in range(100_000):
        if until():
            return
        if b.auto is None:
            await asyncio.sleep(0.5)
            await b.run(page=None, timeout=60)
            continue
        fragment, interval = b.auto
        await asyncio.sleep(interval)
        if on_redraw is None:
            await b.run(fragment=fragment, timeout=60)
        else:
            await on_redraw(lambda: b.run(fragment=fragment, timeout=60))


async def start_live(url: str, query: str) -> Browser:
    """A session that opened Live training with the settings ``query`` and pressed Start."""
    b = Browser(url)
    await b.connect()
    await b.run("", timeout=60)
    b.query = query
    await b.run("live", timeout=60)
    await b.run(widgets=[b.buttons["Start"]], timeout=60)
    return b


async def hog(url: str, query: str, running: asyncio.Event, stop: asyncio.Event, out: dict) -> None:
    """Start the largest run on Live training and follow its redraws until ``stop``; then Reset it."""
    b = None
    try:
        b = await start_live(url, query)

        def until() -> bool:
            if any(t.startswith("Training") for t in b.texts):
                running.set()
            return stop.is_set()

        await follow(b, until)
        out["hog_texts"] = [t for t in b.texts if t.startswith(("Training", "Waiting", "This run"))][:2]
        if "Reset" in b.buttons:
            await b.run(widgets=[b.buttons["Reset"]], timeout=60)
    except (asyncio.TimeoutError, websockets.WebSocketException, OSError, KeyError) as exc:
        out["errors"].append(f"largest run: {type(exc).__name__}: {exc}")
    finally:
        running.set()
        if b is not None:
            await b.close()


STEADY_QUERY = "n=10000&steps=5000&seeds=5&student=256%2C+256"  # a long Live run whose teacher trains in seconds


async def steady_redraws(port: int, server_pid: int, seconds: float = 30.0, skip: int = 3,
                         query: str = STEADY_QUERY, redraws: int | None = None) -> dict:
    """The server's CPU per live redraw while one long run trains, alone: the steady state, after its
    first ``skip`` redraws (which build the figures). Stops after ``seconds``, or as soon as ``redraws``
    figure redraws are measured (``seconds`` then bounds the wait: a busy machine redraws less often);
    then presses Reset."""
    url = stream_url(port)
    b = await start_live(url, query)
    cpu, wall, ends, t0 = [], [], [], time.monotonic()

    async def timed(redraw) -> None:
        c0, w0 = proc_stats(server_pid)[1], time.monotonic()
        await redraw()
        if b.charts and any(t.startswith("Training") for t in b.texts):
            cpu.append(proc_stats(server_pid)[1] - c0)
            wall.append(time.monotonic() - w0)
            ends.append(time.monotonic())

    def until() -> bool:
        return time.monotonic() - t0 > seconds or (redraws is not None and len(cpu) >= redraws)

    try:
        await follow(b, until, timed)
        if "Reset" in b.buttons:
            await b.run(widgets=[b.buttons["Reset"]], timeout=60)
    finally:
        await b.close()
    steady_cpu, steady_wall, steady_ends = cpu[skip:], wall[skip:], ends[skip:]
    n = max(1, len(steady_cpu))
    span = steady_ends[-1] - steady_ends[0] if len(steady_ends) > 1 else None
    return {"scenario": "steady live redraws of one long run, alone", "query": query, "seconds": seconds,
            "figure_redraws": len(cpu),
            "redraws_per_s": round((len(steady_ends) - 1) / span, 2) if span else None,
            "server_cpu_ms_per_redraw": round(1000 * sum(steady_cpu) / n, 1),
            "wall_ms_per_redraw": round(1000 * sum(steady_wall) / n, 1),
            "note": f"the first {skip} redraws (figure builds) left out; CPU from /proc in clock ticks, averaged"}


async def largest_vs_default(port: int, runs: int, limit: float) -> dict:
    """A default Live run's Start-to-result alone, then while another session trains the largest run."""
    url = stream_url(port)
    query, seconds = largest_live_query()

    def fresh() -> dict:
        return {"started": 0, "unfinished": 0, "queue_messages": 0, "redraws": 0, "start_to_result": [],
                "errors": [], "chart_redraw_cpu": []}

    alone, beside = fresh(), fresh()
    await trainer(url, runs, limit, alone)
    running, stop = asyncio.Event(), asyncio.Event()
    big = asyncio.create_task(hog(url, query, running, stop, beside))
    await asyncio.wait_for(running.wait(), limit)
    await trainer(url, runs, limit, beside)
    stop.set()
    await big
    a, b = quantiles(alone["start_to_result"]), quantiles(beside["start_to_result"])
    return {"scenario": "largest run beside a default run", "largest_run_query": query,
            "largest_run_estimated_s": round(seconds, 1), "largest_run_status": beside.get("hog_texts"),
            "default_alone_s": a, "default_beside_largest_s": b,
            "slowdown_p50": round(b["p50"] / a["p50"], 2) if a["p50"] and b["p50"] else None,
            "errors": len(alone["errors"]) + len(beside["errors"]),
            "error_samples": sorted(set(alone["errors"] + beside["errors"]))[:5]}


def stream_url(port: int) -> str:
    """The websocket address of a server started here on loopback ``port``."""
    return f"ws://127.0.0.1:{port}/_stcore/stream"


async def first_visit(url: str) -> None:
    """Open Home once through websocket ``url`` (the first script run of a server starts its pool and its warm-up)."""
    b = Browser(url)
    try:
        await b.connect()
        await b.run("", timeout=120)
    finally:
        await b.close()


def quantiles(values: list[float]) -> dict:
    """p50, p95 and max in seconds (None when empty)."""
    if not values:
        return {"n": 0, "p50": None, "p95": None, "max": None}
    v = sorted(values)
    return {"n": len(v), "p50": round(v[len(v) // 2], 3), "p95": round(v[min(len(v) - 1, int(0.95 * len(v)))], 3),
            "max": round(v[-1], 3)}


async def one_load(url: str, server_pid: int | None, users: int, runs: int, limit: float, visit_every: float,
                   side_users: bool = True) -> dict:
    """Run N trainers against websocket ``url`` with (if ``side_users``) the probe and the visitors; return the
    measurements (the server's and workers' memory and CPU only for a server started here: ``server_pid``)."""
    out = {"started": 0, "unfinished": 0, "queue_messages": 0, "redraws": 0, "start_to_result": [], "light": [],
           "first_page": [], "errors": [], "chart_redraw_cpu": []}
    stop = asyncio.Event()
    pids = [] if server_pid is None else [server_pid, *children(server_pid)]
    cpu0 = {pid: proc_stats(pid)[1] for pid in pids}
    client0 = client_cpu()
    t0 = time.monotonic()
    side = [asyncio.create_task(probe(url, stop, out)),
            asyncio.create_task(visitors(url, stop, visit_every, out))] if side_users else []
    alone = server_pid if users == 1 and not side_users else None
    await asyncio.gather(*(trainer(url, runs, limit, out, alone) for _ in range(users)))
    stop.set()
    await asyncio.gather(*side)
    wall = time.monotonic() - t0
    server_rss, server_cpu = proc_stats(server_pid) if server_pid else (float("nan"), float("nan"))
    workers = [(pid, *proc_stats(pid)) for pid in (children(server_pid) if server_pid else [])]
    result = {"users": users, "runs_per_user": runs, "wall_s": round(wall, 1),
            "runs_finished": len(out["start_to_result"]), "runs_started": out["started"],
            "start_to_result_s": quantiles(out["start_to_result"]), "light_interaction_s": quantiles(out["light"]),
            "new_visitor_first_page_s": quantiles(out["first_page"]), "queue_messages_seen": out["queue_messages"],
            "redraws": out["redraws"], "figure_redraws_alone": len(out["chart_redraw_cpu"]),
            "server_cpu_ms_per_figure_redraw_alone": round(1000 * sum(out["chart_redraw_cpu"]) /
                                                           max(1, len(out["chart_redraw_cpu"])), 1), "errors": len(out["errors"]), "error_samples": sorted(set(out["errors"]))[:5],
            "server_rss_mb": round(server_rss, 1),
            "server_cpu_share": round((server_cpu - cpu0.get(server_pid, 0.0)) / wall, 3),
            "server_cpu_ms_per_redraw": round(1000 * (server_cpu - cpu0.get(server_pid, 0.0)) / max(1, out["redraws"]), 1),
            "worker_rss_mb": [round(rss, 1) for _, rss, _ in workers],
            "worker_cpu_share": [round((cpu - cpu0.get(pid, 0.0)) / wall, 3) for pid, _, cpu in workers],
            "load_test_client_cpu_share": round((client_cpu() - client0) / wall, 3)}
    if server_pid is None:  # behind a balancer: the replicas' processes are not this machine's to read
        result.update({k: None for k in ("server_rss_mb", "server_cpu_share", "server_cpu_ms_per_redraw",
                                         "server_cpu_ms_per_figure_redraw_alone")})
    return result


def main(argv: list[str] | None = None) -> list[dict]:
    """Start the server, run each load, stop the server, print one JSON object per N."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, action="append", help="simulated trainers (repeat for several N)")
    parser.add_argument("--runs", type=int, default=3, help="Start-to-result runs per trainer")
    parser.add_argument("--limit", type=float, default=300.0, help="seconds a trainer waits for one result")
    parser.add_argument("--visit-every", type=float, default=3.0, help="seconds between new visitors")
    parser.add_argument("--trainers-only", action="store_true",
                        help="no probe, no visitors; with --users 1, the server CPU of each figure redraw")
    parser.add_argument("--largest", action="store_true",
                        help="also: a default run's time alone and beside another session's largest allowed run")
    parser.add_argument("--steady", action="store_true",
                        help="also: the server CPU per live redraw while one long run trains alone")
    parser.add_argument("--steady-seconds", type=float, default=30.0, help="how long --steady follows the run")
    parser.add_argument("--steady-redraws", type=int, default=None,
                        help="with --steady: stop once this many figure redraws are measured (--steady-seconds bounds it)")
    parser.add_argument("--app-root", default=str(ROOT), help="the checkout to serve (to compare two versions)")
    parser.add_argument("--balancer", metavar="URL",
                        help="http://HOST:PORT of a class's balancer (deploy/classroom.py): load the replicas behind "
                             "it instead of starting a server (their memory and CPU are then not measured)")
    args = parser.parse_args(argv)
    if args.balancer and (args.steady or args.largest):
        parser.error("--steady and --largest measure a server started here: leave out --balancer")
    if args.balancer:
        server, url = None, args.balancer.rstrip("/").replace("http", "ws", 1) + "/_stcore/stream"
    else:
        port = free_port()
        server, url = start_server(port, root=args.app_root), stream_url(port)
    results = []
    try:
        if os.environ.get("KDVIZ_WARM", "1") != "0" and server is not None:
            asyncio.run(first_visit(url))  # the server starts its warm-up on its first script run
            print(json.dumps({"warm_up_waited_s": round(wait_for_warm_cache(), 1)}), flush=True)
        if args.steady:
            results.append(asyncio.run(steady_redraws(port, server.pid, args.steady_seconds,
                                                      redraws=args.steady_redraws)))
            print(json.dumps(results[-1]), flush=True)
        for users in args.users or ([] if args.largest or args.steady else [3]):
            results.append(asyncio.run(one_load(url, server and server.pid, users, args.runs, args.limit, args.visit_every,
                                                not args.trainers_only)))
            print(json.dumps(results[-1]), flush=True)
        if args.largest:
            results.append(asyncio.run(largest_vs_default(port, args.runs, args.limit)))
            print(json.dumps(results[-1]), flush=True)
    finally:
        if server is not None:
            stop_server(server)
    return results


if __name__ == "__main__":
    main()
