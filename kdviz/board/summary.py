"""What a board shows from a room's posts: one scatter of a setting against a number, and a leaderboard.

A room's Summary is built from its posts once per version of the room and shared by every viewer
(Summaries): a refresh that finds the room's version unchanged costs one lookup by key, however
many posts the room holds. A scatter draws at most MAX_DOTS posts as dots (the newest); beyond
that it adds the mean of every post per setting value, so what a browser receives stays bounded.
"""
from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from kdviz.board.store import Board, Post, Room

MAX_DOTS = 400  # posts a scatter draws one dot each (the newest)
MAX_GROUPS = 40  # setting values (or equal-width bins of them) the mean line of a larger scatter has
REBUILD_S = 2.0  # a room that keeps changing is rebuilt at most this often (viewers poll every 3 s)


@dataclass(frozen=True)
class Means:
    """The mean number per setting value (or per bin of values), over every post."""

    x: list[float]  # the mean setting value of each group, ascending
    y: list[float]  # the mean number of each group
    n: list[int]  # posts in each group


@dataclass(frozen=True)
class Scatter:
    """The posts that have both the setting and the number: the newest MAX_DOTS as dots, and the mean of
    all of them per setting value when some are not drawn as dots (``means`` None otherwise)."""

    x: list[float]  # the setting's value per drawn post, oldest first
    y: list[float]  # the number per drawn post
    names: list[str]  # who posted it (raw text: escape before drawing)
    total: int = 0  # posts with both values, drawn or not
    means: Means | None = None


def choices(posts: list[Post], page: str) -> tuple[list[str], list[str]]:
    """(numeric settings, numbers) found in the posts of ``page``, sorted: what a board can plot."""
    shown = [p for p in posts if p.page == page]
    settings = sorted({k for p in shown for k, v in p.settings.items() if _number(v) is not None})
    numbers = sorted({k for p in shown for k in p.numbers})
    return settings, numbers


def scatter(posts: list[Post], page: str, setting: str, number: str, dots: int = MAX_DOTS) -> Scatter:
    """The posts of ``page`` as (setting value, number) points: the newest ``dots`` of them as dots, and the
    means per setting value over all of them when there are more."""
    xs, ys, names = [], [], []
    for p in posts:
        x = _number(p.settings.get(setting)) if p.page == page else None
        if x is not None and number in p.numbers:
            xs.append(x)
            ys.append(p.numbers[number])
            seed = p.settings.get("seed") if setting != "seed" else None
            names.append(p.name if seed is None else f"{p.name} (seed {seed})")  # who, and the seed of their run
    total = len(xs)
    if total <= dots:
        return Scatter(xs, ys, names, total)
    cut = total - dots
    return Scatter(xs[cut:], ys[cut:], names[cut:], total, means(np.array(xs), np.array(ys)))


def means(x: np.ndarray, y: np.ndarray, groups: int = MAX_GROUPS) -> Means:
    """Mean of y (n,) per distinct value of x (n,), or per equal-width bin of x when it has more than
    ``groups`` distinct values; each group sits at the mean x of its posts."""
    values, which = np.unique(x, return_inverse=True)  # which: (n,) index of each post's value
    if len(values) > groups:  # more than `groups` distinct values, so x.max() > x.min()
        edges = np.linspace(x.min(), x.max(), groups + 1)
        which = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, groups - 1)
    n = np.bincount(which)
    kept = n > 0
    mean_x = np.bincount(which, weights=x)[kept] / n[kept]
    mean_y = np.bincount(which, weights=y)[kept] / n[kept]
    return Means(mean_x.tolist(), mean_y.tolist(), n[kept].tolist())


def leaderboard(posts: list[Post], page: str, number: str, top: int = 10) -> list[tuple[str, float, dict]]:
    """The best post per display name on ``number`` (highest first): (name, value, settings), at most ``top``."""
    best: dict[str, Post] = {}
    for p in posts:
        if p.page == page and number in p.numbers and (p.name not in best or
                                                         p.numbers[number] > best[p.name].numbers[number]):
            best[p.name] = p
    ranked = sorted(best.values(), key=lambda p: -p.numbers[number])[:top]
    return [(p.name, p.numbers[number], p.settings) for p in ranked]


@dataclass
class Summary:
    """What the board of one page shows for one version of a room, shared read-only by its viewers; the
    scatter and leaderboard of each choice are computed on first use and kept with it."""

    page: str  # the page whose posts these are
    version: int  # the room's version the posts were read at (a later post may be in them too)
    total: int  # posts in the room, every page's
    posts: list[Post]  # the page's posts, oldest first
    settings: list[str]  # numeric settings the posts carry
    numbers: list[str]  # numbers the posts carry
    built: float  # when it was built (Summaries' clock)
    _kept: dict = field(default_factory=dict, repr=False, compare=False)

    def scatter(self, setting: str, number: str) -> Scatter:
        """The scatter of ``number`` against ``setting`` (see ``scatter``)."""
        return self._keep(("scatter", setting, number), lambda: scatter(self.posts, self.page, setting, number))

    def leaderboard(self, number: str) -> list[tuple[str, float, dict]]:
        """The best post per name on ``number`` (see ``leaderboard``)."""
        return self._keep(("leaderboard", number), lambda: leaderboard(self.posts, self.page, number))

    def _keep(self, key: tuple, build):
        if key not in self._kept:  # two first calls may both build: either result is the same
            self._kept[key] = build()
        return self._kept[key]


def build(posts: list[Post], page: str, version: int, built: float) -> Summary:
    """The Summary of ``page`` for a room whose posts (every page's, oldest first) are ``posts``."""
    settings, numbers = choices(posts, page)
    return Summary(page, version, len(posts), [p for p in posts if p.page == page], settings, numbers, built)


class Summaries:
    """Each room's Summary for one page, shared by every viewer in this process. ``get`` reads the room
    (one lookup by key, its version included) and reads and summarises the posts only when the version
    moved since the kept Summary was built, and then at most once every ``rebuild_s`` seconds."""

    def __init__(self, size: int = 16, rebuild_s: float = REBUILD_S, clock=time.monotonic):
        self.size, self.rebuild_s, self.clock = size, rebuild_s, clock
        self._kept: OrderedDict[tuple, Summary] = OrderedDict()  # by (database, room, page), least recent first
        self._lock = threading.Lock()
        self.builds = 0  # how many Summaries this cache has built (what a refresh of an unchanged room avoids)

    def get(self, board: Board, code: str, page: str) -> tuple[Room, Summary]:
        """Room ``code`` as it is now and the Summary of its ``page`` posts (BoardError if there is no room)."""
        room = board.room(code)
        key = (board.url, room.code, page)
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
        now = self.clock()
        if kept is not None and (kept.version == room.version or now - kept.built < self.rebuild_s):
            return room, kept
        fresh = build(board.posts(room.code), page, room.version, now)
        with self._lock:
            self.builds += 1
            self._kept[key] = fresh
            self._kept.move_to_end(key)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return room, fresh


def _number(text) -> float | None:
    """``text`` as a finite float, or None when it is not one."""
    try:
        x = float(text)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None
