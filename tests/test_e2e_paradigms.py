"""Both paradigm pages in a real Chromium: they load, train with small settings, and draw their figures."""
import pytest

from tests.conftest import screenshot

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("page, query, charts, done", [
    ("compare", "methods=kd,dkd&steps=100&seeds=2", 3, "Results over 2 seeds"),
    ("beyond", "steps=100&seeds=2&generations=1", 3, "Generation 1 vs generation 0")])
def test_page_trains_in_the_browser(open_in_browser, page, query, charts, done):
    p = open_in_browser(f"{page}?{query}", min_charts=0)
    p.locator(".st-key-start button").click()
    p.wait_for_function(f"document.querySelectorAll('.js-plotly-plot').length >= {charts}", timeout=120_000)
    p.get_by_text(done).first.wait_for(state="attached", timeout=120_000)  # may sit in a hidden tab
    p.wait_for_timeout(1500)
    assert p.locator("[data-testid='stException']").count() == 0
    screenshot(p, f"paradigms_{page}")
