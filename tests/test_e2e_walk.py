"""A newcomer's first ten seconds, in real Chromium: every page at a desktop, a projector and a phone size.

The defaults' results are computed once into a cache folder under artifacts/ (kept between runs, keyed
by the code's hash, so a rerun is quick) and the server started on that folder shows them on first
load. Full-page screenshots go to artifacts/walk-<page>-<width>x<height>.png, to be looked at.
"""
import os

import pytest

from tests.conftest import ARTIFACTS, screenshot, streamlit_server

pytestmark = pytest.mark.browser

SIZES = [(1400, 1000), (1024, 768), (390, 844)]
PROJECTOR = (1024, 768)
PAGES = [("", 0, None), ("temperature", 3, None), ("gradients", 3, None), ("live", 2, "Computed ahead"),
         ("dark_knowledge", 2, None), ("compare", 2, "Computed ahead"), ("beyond", 2, "Computed ahead"),
         ("market", 2, "Computed ahead")]


@pytest.fixture(scope="module")
def warmed_server():
    """A server whose cache holds the default results of the pages walked (others' stay uncomputed: the heavy
    real-image and language-model results are the warm-up's and `prepare`'s, tested on their own)."""
    from kdviz import site
    from kdviz.experiments import cache

    folder = ARTIFACTS / "results-cache"
    old = os.environ.get("KDVIZ_CACHE_DIR")
    os.environ["KDVIZ_CACHE_DIR"] = str(folder)
    try:
        cache.warm([run for path, _, _ in PAGES if path for run in site.page(path).warm])
        with streamlit_server("walk-server.log") as url:
            yield url
    finally:
        if old is None:
            os.environ.pop("KDVIZ_CACHE_DIR", None)
        else:
            os.environ["KDVIZ_CACHE_DIR"] = old


@pytest.mark.parametrize("width, height", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_every_page_shows_its_result_on_first_load(warmed_server, browser, width, height):
    ctx = browser.new_context(viewport={"width": width, "height": height})
    outside = []
    ctx.route("**/*", lambda route: (outside.append(route.request.url), route.abort())
              if not route.request.url.startswith(warmed_server) and not route.request.url.startswith("data:")
              else route.continue_())
    try:
        for path, charts, line in PAGES:
            page = ctx.new_page()
            page.goto(f"{warmed_server}/{path}", wait_until="domcontentloaded")
            page.wait_for_selector("[data-testid='stApp']", timeout=60_000)
            page.wait_for_function(f"document.querySelectorAll('.js-plotly-plot').length >= {charts}", timeout=120_000)
            page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=120_000)
            page.wait_for_timeout(800)  # let Plotly finish laying out
            screenshot(page, f"walk-{path or 'home'}-{width}x{height}")  # what the first screen shows
            if charts and (width, height) == PROJECTOR:  # the main figure starts on the first screen
                top = page.evaluate("document.querySelector('.js-plotly-plot').getBoundingClientRect().top")
                assert top < height - 150, f"{path}: the main figure starts at {top:.0f} px, below the fold"
            tall = page.evaluate("document.querySelector(\"[data-testid='stMain']\").scrollHeight")
            page.set_viewport_size({"width": width, "height": min(int(tall), 7000)})
            page.wait_for_timeout(800)
            screenshot(page, f"walk-{path or 'home'}-{width}x{height}-full")  # the whole page, for review
            assert page.locator("[data-testid='stException']").count() == 0, path
            if line:
                assert page.get_by_text(line).count() >= 1, f"{path}: no result on first load"
            page.close()
    finally:
        ctx.close()
    assert not outside, f"requests to the internet: {outside[:5]}"
