"""The pages in a suggested order, and what to notice on each: Home's cards, every page's "What to notice" line
and its "Next" link, all read from the pages' records (kdviz.site).

The lines say where to look, never what a run will show: a page's own results say that, computed
from the run (KD does not always help).
"""
from __future__ import annotations

from kdviz.site import PAGES as RECORDS
from kdviz.site import PageRecord

PAGES = tuple(p for p in RECORDS if not p.default)  # Home lists them as cards, in this order
BY_PAGE = {p.path: p for p in PAGES}


def page(name: str) -> PageRecord:
    """The page called ``name`` (its URL path) in the suggested order; ValueError if there is none (Home is not)."""
    if name not in BY_PAGE:
        raise ValueError(f"no page called {name!r}: pages are {', '.join(BY_PAGE)}")
    return BY_PAGE[name]


def next_page(name: str) -> PageRecord | None:
    """The page after ``name`` in the suggested order; None after the last one (back to Home)."""
    i = PAGES.index(page(name))
    return PAGES[i + 1] if i + 1 < len(PAGES) else None
