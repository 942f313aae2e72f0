"""In real Chromium: the Market page trains and draws its figures, and an uploaded bad CSV shows its message."""
import pytest

from tests.conftest import screenshot

pytestmark = pytest.mark.browser

SMALL = "days=800&members=2&teacher=16&steps=100&seeds=2"


def test_train_draws_the_result(open_in_browser):
    page = open_in_browser(f"market?{SMALL}", min_charts=0)
    assert page.locator("[data-testid='stException']").count() == 0
    page.locator(".st-key-start button").click()
    page.get_by_text("Result").wait_for(timeout=120_000)
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 4", timeout=60_000)
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.get_by_text("faster at batch 1", exact=False).count() >= 1
    screenshot(page, "market")


def upload_bad_prices(open_in_browser, folder):
    """The Market page with a CSV lacking Date and Close uploaded, once its message shows."""
    page = open_in_browser("market?source=upload", min_charts=0)
    bad = folder / "prices.csv"
    bad.write_text("Day,Price\n2020-01-01,1\n")
    page.locator(".st-key-market_upload input[type='file']").set_input_files(str(bad))
    page.get_by_text("Missing column Date and Close", exact=False).wait_for(timeout=60_000)
    return page


def test_a_bad_upload_names_its_problem(open_in_browser, tmp_path):
    page = upload_bad_prices(open_in_browser, tmp_path)
    assert page.locator("[data-testid='stException']").count() == 0
    screenshot(page, "market_bad_upload")


def test_removing_an_uploaded_file_forgets_it_and_its_error(open_in_browser, tmp_path):
    page = upload_bad_prices(open_in_browser, tmp_path)
    page.locator(".st-key-market_upload [data-testid='stFileChipDeleteBtn']").click()
    page.get_by_text("Upload a CSV to train on your own prices").wait_for(timeout=60_000)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=60_000)
    assert page.get_by_text("Missing column Date and Close", exact=False).count() == 0
    assert page.locator(".st-key-start").count() == 0  # nothing to train on
