"""AppTest of the Real images page: first load (the line saying how to get missing images, or the stored results),
each tab's run at small settings, the page while a job runs."""
from __future__ import annotations

import pytest

from kdviz.data.image_files import FASHION, locate
from tests.conftest import charts
from tests.test_app_dark_knowledge import wait_for_job

SMALL = dict(n="600", teacher="quick", steps="100", seeds="2", width="30")
needs_images = pytest.mark.skipif(locate(FASHION) is None, reason="Fashion-MNIST is not installed here "
                                  "(sudo apt-get install dataset-fashion-mnist)")


@needs_images
def test_each_tab_runs_at_small_settings(page_test):
    at = page_test("app_pages/real_images.py", image="4", shown_T="4", **SMALL)
    assert not at.exception and not at.error
    at.button(key="seen_start").click().run()
    wait_for_job(at, "real.seen", 300)
    assert not at.exception and not at.error
    text = " ".join(m.value for m in at.markdown)
    assert "Most often taken for" in text and "most alike pairs" in text and "second" in text
    at.button(key="three_start").click().run()
    wait_for_job(at, "real.three", 300)
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert "146 of 10,000" in " ".join(table["test errors"]) and "Ours (Fashion-MNIST" in " ".join(table["source"])
    assert len(charts(at)) >= 5


@needs_images
def test_the_omitted_class_tab_shows_paper_and_ours(page_test):
    at = page_test("app_pages/real_images.py", omit="6", **SMALL)
    at.button(key="omit_start").click().run()
    wait_for_job(at, "real.omit", 300)
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    sources = " ".join(table["source"])
    assert "Paper (Hinton et al. 2015, MNIST" in sources and "Ours (Fashion-MNIST, Shirt omitted" in sources
    assert "206 of 10000" in " ".join(table["test errors"])
    assert "never saw an image of Shirt" in " ".join(m.value for m in at.markdown)


@needs_images
def test_the_width_tab_draws_one_line_per_width(page_test):
    at = page_test("app_pages/real_images.py", sweep_steps="50", sweep_seeds="2", **SMALL)
    at.button(key="width_start").click().run()
    wait_for_job(at, "real.width", 300)
    assert not at.exception and not at.error
    text = " ".join(m.value for m in at.markdown)
    assert "**30 units**" in text and "**300 units**" in text and "Hinton et al. 2015 (MNIST)" in text
    fig = next(f for f in charts(at) if any("784-30-30-10 student, KD" == t.get("name") for t in f["data"]))
    assert len([t for t in fig["data"] if t.get("name", "").endswith("KD")]) == 3


def test_missing_images_say_in_one_line_how_to_get_them(page_test, tmp_path, monkeypatch):
    monkeypatch.setenv("KDVIZ_FASHION_MNIST", str(tmp_path))
    at = page_test("app_pages/real_images.py")
    assert not at.exception and not at.error
    lines = [i.value for i in at.info]
    assert any("apt-get install dataset-fashion-mnist" in x and "\n" not in x for x in lines)
    assert not at.get("plotly_chart")


@needs_images
def test_first_load_shows_the_results_computed_ahead_labelled(page_test):
    from kdviz.experiments import cache
    from kdviz.experiments.real_images.page import part_run
    from kdviz.experiments.real_images.settings import RealConfig
    from ui.results import CACHED_LINE

    shown = RealConfig(n=600, teacher="quick", steps=100, seeds=2, width=30)
    exp, sub = part_run(shown, "seen")
    cache.compute(exp.name, sub)
    at = page_test("app_pages/real_images.py", **SMALL)
    assert not at.exception and not at.error
    assert any(s.value == CACHED_LINE for s in at.success)
    assert len(charts(at)) == 4  # image, soft targets, similarity, ambiguous images, without a click
    assert "Most often taken for" in " ".join(m.value for m in at.markdown)


@needs_images
def test_the_page_while_a_job_runs_shows_its_progress(page_test):
    import time

    from kdviz.experiments.real_images.threeway import ThreeWaySnapshot

    at = page_test("app_pages/real_images.py", **{**SMALL, "steps": "20000"})
    at.button(key="three_start").click().run()
    job = at.session_state["_job.real.three"]
    deadline = time.monotonic() + 180
    while not isinstance(job.snapshot(), ThreeWaySnapshot) and time.monotonic() < deadline and not job.done:
        time.sleep(0.2)
    snap = job.snapshot()
    assert isinstance(snap, ThreeWaySnapshot) and not snap.done, (job.state, type(snap))
    at.run()  # the page drawn mid-run: a progress bar, no table yet, no error
    assert not at.exception and not at.error
    assert at.get("progress") and not at.dataframe
    at.button(key="three_reset").click().run()
    assert not at.exception
