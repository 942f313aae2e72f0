"""Server CPU of one viewer's refresh of the Class board page: an empty room against a room of 2,000 posts; prints JSON.

Fills a room in a fresh SQLite file with ROOM posts from many names (through Board.post, with a
clock that advances so the rate limits let them in), then reruns the Class board page in AppTest as a
participant who joined the room and times each rerun in CPU seconds of this process (the page's
script thread included). The first rerun after joining may build the room's board; the reruns
after it are what each viewer's poll costs while nothing changes. A viewer polls every 3 s, so
``viewers_per_core`` is how many viewers of the room one core serves.

    OMP_NUM_THREADS=1 python bench/bench_board.py [--posts 2000] [--reruns 15]
"""
from __future__ import annotations

import _root  # noqa: F401  (the repository root on sys.path)

import argparse
import json
import os
import statistics
import tempfile
import time

os.environ.setdefault("KDVIZ_WARM", "0")  # no background warming: only the page's own work is timed
os.environ.setdefault("KDVIZ_CACHE_DIR", tempfile.mkdtemp(prefix="kdviz-cache-"))

from streamlit.testing.v1 import AppTest  # noqa: E402

from _root import ROOT  # noqa: E402
from kdviz.board import Board  # noqa: E402

POLL_S = 3.0  # the Class board page's refresh interval


def fill(board: Board, code: str, n: int, clock: list[float]) -> None:
    """Post ``n`` runs to room ``code`` from 100 names in turn, 0.6 s of clock apart (inside every rate limit)."""
    for i in range(n):
        clock[0] += 0.6
        who = f"p{i % 100}"
        board.post(code, who, who, "live", {"T": str(1 + i % 8), "alpha": f"{(i % 10) / 10:g}"},
                   {"kd_acc": 0.5 + (i % 97) / 200, "gain": (i % 13) / 100 - 0.05})


def refreshes(url: str, code: str, reruns: int) -> list[float]:
    """CPU milliseconds of each rerun of the Class board page for a participant in room ``code``."""
    os.environ["KDVIZ_BOARD_URL"] = url
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("app_pages/board.py")
    at.session_state["board.room"], at.session_state["board.name"] = code, "viewer"
    out = []
    for _ in range(reruns):
        t0 = time.process_time()
        at.run()
        out.append(1000 * (time.process_time() - t0))
        assert not at.exception, at.exception
    return out


def stats(ms: list[float]) -> dict:
    """The first rerun, and the median and worst of the reruns after it, in CPU milliseconds."""
    rest = ms[1:]
    return {"first_ms": round(ms[0], 1), "median_ms": round(statistics.median(rest), 1),
            "max_ms": round(max(rest), 1), "n": len(rest)}


def main() -> None:
    """Fill the room, then time reruns of the Class board page with the empty room and with the full one."""
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--posts", type=int, default=2000)
    args.add_argument("--reruns", type=int, default=15)
    opts = args.parse_args()
    url = f"sqlite:///{tempfile.mkdtemp(prefix='kdviz-board-')}/board.sqlite"
    clock = [time.time() - 0.6 * opts.posts - 60]
    board = Board(url, clock=lambda: clock[0])
    empty, _ = board.create_room("empty")
    full, _ = board.create_room("full")
    t0 = time.perf_counter()
    fill(board, full, opts.posts, clock)
    fill_s = time.perf_counter() - t0
    warmup = refreshes(url, empty, 3)  # imports and the first page run, not part of either measurement
    result = {"posts": len(board.posts(full)), "fill_s": round(fill_s, 1), "warmup_first_ms": round(warmup[0], 1)}
    for label, code in (("empty_room", empty), ("full_room", full)):
        result[label] = stats(refreshes(url, code, opts.reruns))
    extra = result["full_room"]["median_ms"] - result["empty_room"]["median_ms"]
    result["full_minus_empty_median_ms"] = round(extra, 1)
    result["viewers_per_core_full_room"] = round(1000 * POLL_S / result["full_room"]["median_ms"], 1)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
