"""In real Chromium at a projector's 1024x768: every step of every lesson in presenter mode shows the step's controls
in sight (not folded in an expander) and the top of the page's main figure on the first screen."""
from __future__ import annotations

import pytest

from kdviz import lessons
from tests.conftest import screenshot

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 1024, 768
STEPS = [(name, i) for name in lessons.names() for i in range(len(lessons.load(name).steps))]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
# The element of setting ``name`` (keyed "<page prefix>.<name>", so its class is st-key-<prefix>-<name>): where it
# is, and whether an expander that holds it is folded.
CONTROL_JS = """(name) => {
    const own = new RegExp(`^st-key-[a-z_]+-${name}$`);
    const found = [...document.querySelectorAll('[data-testid="stMain"] [class*="st-key-"]')]
        .filter(e => [...e.classList].some(c => own.test(c)));
    return found.map(e => {
        const box = e.getBoundingClientRect(), folded = e.closest('details:not([open])');
        return {top: box.top, height: box.height, folded: folded !== null};
    });
}"""
# Settled enough to measure: a figure is drawn, or the page waits for Start (it draws its figure once a run starts).
READY_JS = """() => document.querySelector('[data-testid="stPlotlyChart"]') !== null
    || (document.querySelector('[data-testid="stApp"][data-test-script-state="notRunning"]') !== null
        && document.querySelector('.st-key-start button') !== null)"""


@pytest.fixture(scope="module")
def projector(browser):
    """One browser context at 1024x768 for the module's steps (each step opens its own page)."""
    ctx = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
    yield ctx
    ctx.close()


@pytest.mark.parametrize("name, index", STEPS, ids=[f"{n}-{i + 1}" for n, i in STEPS])
def test_a_presented_step_shows_its_controls_and_its_figure_on_the_first_screen(projector, app_url, name, index):
    lesson = lessons.load(name)
    step = lesson.steps[index]
    page = projector.new_page()
    try:
        page.goto(f"{app_url}/{lessons.step_url(lesson, index, {'present': '1'})}", wait_until="domcontentloaded")
        page.locator(".st-key-lesson").get_by_text(f"step {index + 1} of {len(lesson.steps)}").wait_for(timeout=120_000)
        page.wait_for_function("parseFloat(getComputedStyle(document.documentElement).fontSize) === 20",
                               timeout=60_000)  # the presenter's styles are on
        page.wait_for_function(READY_JS, timeout=180_000)  # Dark knowledge first trains its teachers
        assert page.locator("[data-testid='stException']").count() == 0
        for control in step.show:
            (found,) = page.evaluate(CONTROL_JS, control)
            assert not found["folded"], f"step {index + 1}: {control} is inside a folded expander"
            assert found["height"] > 0 and found["top"] < HEIGHT, f"step {index + 1}: {control} is not in sight: {found}"
        started = page.locator("[data-testid='stPlotlyChart']").count() == 0
        if started:  # a page that draws its figures once a run starts: start it, as the class does
            page.locator(".st-key-start button").click()
        page.locator(".js-plotly-plot .main-svg").first.wait_for(timeout=180_000)
        top = page.evaluate("document.querySelector('.js-plotly-plot').getBoundingClientRect().top")
        screenshot(page, f"present-{name}-{index + 1}")
        assert top < HEIGHT, f"step {index + 1} ({step.page}): the main figure starts at y = {top:.0f}, below the fold"
        if started:  # stop the run, so the server's workers are free for the next step
            page.locator(".st-key-reset button").click()
            page.wait_for_selector(IDLE, timeout=60_000)
    finally:
        page.close()
