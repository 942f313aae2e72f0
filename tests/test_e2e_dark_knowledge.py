"""Chromium test of the Dark knowledge page: the teachers' views render, and the omitted-digit run finishes."""
import pytest

from tests.conftest import screenshot

pytestmark = pytest.mark.browser


def test_dark_knowledge_page_in_chromium(open_in_browser):
    page = open_in_browser("dark_knowledge?image=3&steps=200&seeds=2", min_charts=2)
    assert page.locator(".st-key-bars .js-plotly-plot").count() == 1
    assert "second" in page.inner_text("[data-testid='stMain']")
    screenshot(page, "dark_knowledge_soft_targets")
    page.get_by_role("tab", name="Omitted digit").click()
    page.locator(".st-key-omit_start button").click()
    page.wait_for_selector(".st-key-bias_fig .js-plotly-plot", timeout=120_000)
    page.wait_for_selector("text=never saw a 3", timeout=60_000)
    assert page.locator("[data-testid='stDataFrame']").count() >= 1  # paper vs ours (drawn on a canvas)
    assert page.locator("[data-testid='stException']").count() == 0
    screenshot(page, "dark_knowledge_omitted")
