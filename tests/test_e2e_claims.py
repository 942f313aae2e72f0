"""Which teacher? and Claims on trial in a real Chromium: each loads, trains its first tab, and draws its figure."""
import pytest

from tests.conftest import screenshot

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("page, query, done", [
    ("which_teacher", "capacity.steps=100&capacity.seeds=2", "Student accuracy against teacher size"),
    ("claims", "hinton.steps=100&hinton.seeds=2", "Test errors")])
def test_page_trains_its_first_tab_in_the_browser(open_in_browser, page, query, done):
    p = open_in_browser(f"{page}?{query}", min_charts=0)
    p.locator(".st-key-" + query.split(".")[0] + "_start button").click()
    p.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 1", timeout=120_000)
    p.get_by_text(done).first.wait_for(state="attached", timeout=120_000)
    p.wait_for_timeout(1500)
    assert p.locator("[data-testid='stException']").count() == 0
    assert p.get_by_text("Here").count() >= 1
    screenshot(p, f"claims_{page}")
