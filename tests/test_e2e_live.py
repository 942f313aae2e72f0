"""In real Chromium: the Live training page trains when Start is clicked and shows its summary."""
import pytest

from tests.conftest import screenshot

pytestmark = pytest.mark.browser


def test_start_draws_the_regions_and_the_summary(open_in_browser):
    page = open_in_browser("live?steps=200&seeds=2", min_charts=0)
    assert page.locator("[data-testid='stException']").count() == 0
    page.locator(".st-key-start button").click()
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 2", timeout=120_000)
    page.get_by_text("Result").wait_for(timeout=120_000)
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.get_by_text("vs baseline").count() >= 1
    assert page.locator(".js-plotly-plot image").count() >= 3  # teacher, KD student and baseline regions
    screenshot(page, "live")
