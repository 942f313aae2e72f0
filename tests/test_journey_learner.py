"""The learner's journey in a real Chromium: on every training page, press each Start (the page's real flow, at
settings small enough for CI given in the link), watch the run and its result, and never see an error.

Each run is followed frame by frame (about every half second, tests/journey.py): a screenshot once its progress
bar shows and one at its result go to artifacts/journey-learner-<page>-<run>-{running,end}.png.
"""
from __future__ import annotations

import pytest

from tests.journey import assert_clean, errors, has, has_text, open_page, run_to_end, wait_until

pytestmark = pytest.mark.browser

# page link (smaller settings where a page's defaults take long), then per Start: (name, tab to open first or
# None, the Start button's element key, a JavaScript expression true once the run's result is drawn)
PAGES = {
    "live": ("live", [("run", None, "start", has_text("vs baseline"))]),
    "dark_knowledge": ("dark_knowledge?steps=200&seeds=2&sweep_steps=100&sweep_seeds=1", [
        ("omitted", "Omitted digit", "omit_start",
         f"{has('.st-key-bias_fig .js-plotly-plot')} && {has_text('never saw a 3')}"),
        ("smoothed", "Label-smoothed teacher", "smooth_start", has_text("Müller, Kornblith and Hinton (2019) found")),
        ("sweep", "T x alpha sweep", "sweep_start", has(".st-key-sweep_acc .js-plotly-plot"))]),
    "compare": ("compare?steps=200&seeds=2", [("run", None, "start", has_text("Results over 2 seeds"))]),
    "beyond": ("beyond?steps=100&seeds=2&generations=1",
               [("run", None, "start", has_text("Generation 1 vs generation 0"))]),
    "which_teacher": ("which_teacher?capacity.steps=100&capacity.seeds=2", [
        ("capacity", None, "capacity_start",
         f"{has('.st-key-which_teacher_capacity_fig0 .js-plotly-plot')} && {has_text('The source found')}")]),
    "claims": ("claims?hinton.steps=100&hinton.seeds=2", [
        ("hinton", None, "hinton_start",
         f"{has('.st-key-claims_hinton_fig0 .js-plotly-plot')} && {has_text('The source found')}")]),
    "market": ("market?days=800&members=2&teacher=16&steps=100&seeds=2&tr.months=1,3&tr.steps=50&tr.seeds=1", [
        ("run", None, "start", has_text("faster at batch 1")),
        ("transfer", None, "transfer_start", has(".st-key-transfer .js-plotly-plot"))]),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_each_start_runs_to_its_result_with_no_error_in_any_frame(browser, app_url, name):
    link, runs = PAGES[name]
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = open_page(ctx, f"{app_url}/{link}")
        # a page drawing its own first figures (Dark knowledge's teachers) finishes before the learner presses Start
        wait_until(page, lambda: page.locator("[data-testid='stProgress']").count() == 0, f"{name}: opening", 180)
        assert page.locator("[data-testid='stAlertContentWarning']").count() == 0, f"{name}: the link was refused"
        for run, tab, start, done in runs:
            if tab:
                page.get_by_role("tab", name=tab).click()
            frames = run_to_end(page, start, done, f"journey-learner-{name}-{run}")
            assert frames >= 1
        assert_clean(page, f"{name}: after every run")
    finally:
        ctx.close()


def test_the_frame_check_sees_each_kind_of_error(browser):
    """The check every journey frame goes through reports an exception box, an error alert and a traceback."""
    ctx = browser.new_context()
    try:
        page = ctx.new_page()
        page.set_content("<div data-testid='stApp'><p>fine</p></div>")
        assert errors(page) == []
        page.set_content("<div data-testid='stApp'><div data-testid='stException'>ValueError: x</div>"
                         "<div data-testid='stAlertContentError'>The run failed</div><pre>Traceback (most recent"
                         "</pre></div>")
        assert [e.split(":")[0] for e in errors(page)] == ["exception", "error", "a traceback in the page"]
    finally:
        ctx.close()
