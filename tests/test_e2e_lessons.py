"""In real Chromium: both lessons walked step by step in presenter mode at 1024x768, through their Next links."""
from __future__ import annotations

import pytest

from kdviz import lessons
from tests.conftest import screenshot

pytestmark = pytest.mark.browser


def wait_idle(page) -> None:
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=120_000)


@pytest.mark.parametrize("name", lessons.names())
def test_a_lesson_walks_from_home_to_its_last_step_in_presenter_mode(browser, app_url, name):
    lesson = lessons.load(name)
    ctx = browser.new_context(viewport={"width": 1024, "height": 768})
    try:
        page = ctx.new_page()
        page.goto(f"{app_url}/{lessons.step_url(lesson, 0, {'present': '1'})}", wait_until="domcontentloaded")
        for i, step in enumerate(lesson.steps):
            page.locator(".st-key-lesson").get_by_text(f"step {i + 1} of {len(lesson.steps)}").wait_for(timeout=120_000)
            wait_idle(page)
            assert page.locator("[data-testid='stException']").count() == 0
            assert page.locator("[data-testid='stAlertContentWarning']").count() == 0, "a notice on a lesson step"
            sidebar = page.evaluate("document.querySelector(\"[data-testid='stSidebar']\").getBoundingClientRect().right")
            assert sidebar <= 0  # folded away when presenting
            # the presenter's type size (the page may still be rerunning after writing its settings to the URL)
            page.wait_for_function("parseFloat(getComputedStyle(document.documentElement).fontSize) === 20",
                                   timeout=20_000)
            overlap = page.evaluate("""() => {  // how far any block's text in the step's box runs into the next one's
                const texts = [...document.querySelectorAll('.st-key-lesson > [data-testid="stElementContainer"]')]
                    .map(b => [...b.querySelectorAll('p, a')].map(e => e.getBoundingClientRect()))
                    .filter(rects => rects.length);
                return Math.max(0, ...texts.slice(0, -1).map((rects, j) => Math.max(...rects.map(r => r.bottom))
                    - Math.min(...texts[j + 1].map(r => r.top))));
            }""")
            assert overlap <= 1, f"step {i + 1}: its text runs {overlap:.0f} px into the line below"
            screenshot(page, f"lesson-{name}-{i + 1}")
            if i + 1 < len(lesson.steps):
                page.get_by_role("link", name=f"Next: {lesson.steps[i + 1].title}").click()
        assert page.get_by_text("End of the lesson").is_visible()
    finally:
        ctx.close()


def test_hide_flags_in_the_browser(open_in_browser):
    page = open_in_browser("temperature?T_hide=1&nav_hide=1&text_hide=1", min_charts=3)
    assert page.locator(".st-key-temp-T").count() == 0 and page.locator(".st-key-temp-logits").count() == 1
    assert not page.locator("[data-testid='stSidebar']").is_visible()
    assert page.locator("[data-testid='stMain'] [data-testid='stMarkdown']").first.is_hidden()
    assert page.locator(".js-plotly-plot").first.is_visible()
    assert page.locator("[data-testid='stAlertContentWarning']").count() == 0  # the flags are all known
    screenshot(page, "links-hidden")
