"""First-load results: final snapshots stored by experiment, settings and code version; pages show them at once."""
import dataclasses

import pytest

from kdviz.experiments import cache
from kdviz.experiments.live import LiveConfig
from tests.conftest import charts

FAST = LiveConfig(n=400, steps=50, seeds=2)


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KDVIZ_CACHE_DIR", str(tmp_path))
    return tmp_path


def test_a_result_is_stored_once_and_keyed_by_settings_and_code(empty_cache, monkeypatch):
    assert cache.load("live", FAST) is None
    assert cache.warm([("live", FAST)]) == ["live"]
    snap = cache.load("live", FAST)
    assert snap is not None and snap.final is not None and snap.run.step == 50
    assert cache.warm([("live", FAST)]) == []  # stored: not computed again
    assert cache.load("live", dataclasses.replace(FAST, T=8.0)) is None  # other settings: another key
    monkeypatch.setattr(cache, "code_version", lambda: "other code")
    assert cache.load("live", FAST) is None  # changed code never shows an old result
    assert not cache.cacheable(device="cpu", prices={"Close": []}) and cache.cacheable(device="cpu")


def test_live_page_shows_the_stored_result_on_first_load_then_marks_it_stale(empty_cache, page_test):
    cache.warm([("live", FAST)])
    at = page_test("app_pages/live.py", n="400", steps="50", seeds="2")
    assert not at.exception
    assert any("Computed ahead for these settings" in s.value for s in at.success)
    assert len(charts(at)) >= 2 and any("Result" in h.value for h in at.subheader)
    at.select_slider(key="live.T").set_value(8.0).run()  # other settings: nothing stored, the idle view
    assert not any("Computed ahead" in s.value for s in at.success)


def test_results_of_a_run_are_labelled_stale_after_a_setting_changes(empty_cache, page_test):
    at = page_test("app_pages/live.py", n="400", steps="50", seeds="2")
    at.button(key="start").click().run()
    job = at.session_state["_job.live"]
    assert job.wait(120) and job.state == "done"
    at.run()
    assert not any("Stale" in w.value for w in at.warning)
    at.select_slider(key="live.T").set_value(8.0).run()
    stale = [w.value for w in at.warning if "Stale" in w.value]
    assert len(stale) == 1 and "Temperature T" in stale[0]
