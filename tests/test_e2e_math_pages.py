"""In real Chromium: the math pages render without error and draw their main figures."""
import pytest

from tests.conftest import screenshot, streamlit_server

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("path,charts", [("", 0), ("temperature", 3), ("gradients", 3)])
def test_page_renders_in_chromium(open_in_browser, path, charts):
    page = open_in_browser(path, min_charts=charts)
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator(".js-plotly-plot").count() >= charts
    if charts:
        assert page.locator(".js-plotly-plot .main-svg").first.is_visible()
    screenshot(page, f"math-{path or 'home'}")


def test_temperature_slider_redraws_in_chromium(open_in_browser):
    page = open_in_browser("temperature?T=0.5", min_charts=3)
    first = page.locator(".js-plotly-plot").first.inner_text()
    page.goto(page.url.replace("T=0.5", "T=50"))
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 3", timeout=60_000)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']")
    assert page.locator(".js-plotly-plot").first.inner_text() != first


def test_a_shared_link_opened_first_on_a_fresh_server_goes_through_the_router(open_in_browser):
    """The first request a new server sees is a deep link: the page still gets the app's navigation."""
    with streamlit_server("fresh-server.log") as fresh:
        page = open_in_browser("gradients?T=10", min_charts=3, base=fresh)
        nav = page.locator("[data-testid='stSidebarNav']").inner_text()
        assert "The mathematics" in nav and "Temperature" in nav
        assert page.get_by_text("Compute device").count() == 1  # the shared sidebar ran
