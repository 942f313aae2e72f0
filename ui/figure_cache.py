"""The server's figure caches: bounded, thread-safe maps of built figures shared by every session.

A figure that is a pure function of what it shows is built once per server (SharedFigures, read
only); a live figure's first build is kept per settings (FigureTemplates) and each job redraws its
own copy in place. Both keep FigureSpecs (kdviz.plots.training), whose plain dict st.plotly_chart
sends without walking it again.
"""
from __future__ import annotations

import copy
import threading
from collections import OrderedDict

from kdviz.plots.training import FigureSpec


class FigureCache:
    """A bounded, thread-safe map of figures by key; the least recently used entry goes when it is full."""

    def __init__(self, size: int = 64):
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def _get(self, key):
        """The entry under ``key`` (None if absent), marked as just used."""
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def _put(self, key, value) -> None:
        """Store ``value`` under ``key``, dropping the least recently used entries beyond ``size``."""
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


class FigureTemplates(FigureCache):
    """Built figures handed out as deep copies: live figures of jobs with the same settings share one
    first build and each job updates its own copy."""

    def keep(self, key, figure: FigureSpec) -> None:
        """Store a copy of ``figure`` under ``key``."""
        self._put(key, copy.deepcopy(figure.spec))

    def copy(self, key) -> FigureSpec | None:
        """A fresh FigureSpec copied from the figure stored under ``key``, or None."""
        spec = self._get(key)
        return None if spec is None else FigureSpec.of_spec(copy.deepcopy(spec))


class SharedFigures(FigureCache):
    """Figures shared read-only by every session (those of stored results)."""

    def __init__(self, size: int = 256):
        super().__init__(size)

    def get(self, key, build):
        """The figure stored under ``key``, built by ``build()`` on the first call."""
        figure = self._get(key)
        if figure is None:  # built outside the lock: two first calls may both build; either result is the same
            figure = build()
            self._put(key, figure)
        return figure
