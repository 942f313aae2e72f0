"""In real Chromium at a projector's 1024x768: every step of every lesson in presenter mode shows the step's controls
in sight (not folded in an expander) and the top of the page's main figure on the first screen."""
from __future__ import annotations

import pytest

from kdviz import lessons
from tests.conftest import screenshot

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 1024, 768
STEPS = [(name, i) for name in lessons.names() for i in range(len(lessons.load(name).steps))]
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'  # the page is between runs
# The elements of the settings ``names`` (keyed "<page prefix>.<name>", so classed st-key-<prefix>-<name>) once the page
# is between runs and each is drawn once: where each is, and whether an expander that holds it is folded.
CONTROLS_JS = f"""(names) => {{
    const found = names.map(name => [...document.querySelectorAll('[data-testid="stMain"] [class*="st-key-"]')]
        .filter(e => [...e.classList].some(c => new RegExp(`^st-key-[a-z_]+-${{name}}$`).test(c))));
    if (!document.querySelector('{IDLE}') || found.some(f => f.length !== 1)) return null;
    return found.map(([e]) => ({{top: e.getBoundingClientRect().top, height: e.getBoundingClientRect().height,
                                 folded: e.closest('details:not([open])') !== null}}));
}}"""
# Settled enough to go on: a figure is drawn, or the page waits for Start (it draws its figure once a run starts).
READY_JS = f"""() => document.querySelector('[data-testid="stPlotlyChart"]') !== null
    || (document.querySelector('{IDLE}') !== null && document.querySelector('.st-key-start button') !== null)"""
# Where the page's first figure starts, once it is drawn and the page is between runs (a rerun may redraw it).
FIGURE_TOP_JS = f"""() => document.querySelector('{IDLE}') && document.querySelector('.js-plotly-plot .main-svg')
    ? {{top: document.querySelector('.js-plotly-plot').getBoundingClientRect().top}} : null"""


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
        found = page.wait_for_function(CONTROLS_JS, arg=list(step.show), timeout=60_000).json_value()
        for control, where in zip(step.show, found):
            assert not where["folded"], f"step {index + 1}: {control} is inside a folded expander"
            assert where["height"] > 0 and where["top"] < HEIGHT, f"step {index + 1}: {control} is not in sight: {where}"
        started = page.locator("[data-testid='stPlotlyChart']").count() == 0
        if started:  # a page that draws its figures once a run starts: start it, as the class does
            page.locator(".st-key-start button").click()
        top = page.wait_for_function(FIGURE_TOP_JS, timeout=180_000).json_value()["top"]
        screenshot(page, f"present-{name}-{index + 1}")
        assert top < HEIGHT, f"step {index + 1} ({step.page}): the main figure starts at y = {top:.0f}, below the fold"
        if started:  # stop the run, so the server's workers are free for the next step
            page.locator(".st-key-reset button").click()
            page.wait_for_selector(".st-key-start button:not([disabled])", timeout=60_000)  # no job runs
    finally:
        page.close()
