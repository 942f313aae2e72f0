"""The Distilling a language model page in a real Chromium: it loads, trains tiny students, and draws its figures."""
import pytest

from tests.conftest import screenshot
from tests.test_experiment_language import tiny_recipe_teacher

pytestmark = pytest.mark.browser


def test_language_page_trains_in_the_browser(open_in_browser):
    tiny_recipe_teacher()  # the server shares this session's cache folder: its run loads this teacher
    p = open_in_browser("language?methods=labels,forward_kl,reverse_kl&steps=10&seeds=2&hidden=16", min_charts=1)
    p.locator(".st-key-start button").click()
    p.get_by_text("Results over 2 seeds").first.wait_for(state="attached", timeout=150_000)
    p.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 5", timeout=60_000)
    p.get_by_text("Finished.").first.wait_for(state="visible", timeout=60_000)
    assert p.get_by_text("Where the teacher is torn").count() >= 1
    assert p.locator("[data-testid='stException']").count() == 0
    screenshot(p, "language")
