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


def test_a_stored_live_result_replays_like_a_session_run(empty_cache, page_test):
    cfg = LiveConfig(n=400, steps=200, seeds=1)
    cache.warm([("live", cfg)])
    replay = cache.load("live", cfg).replay
    assert list(replay.steps) == list(range(10, 201, 10)) and replay.top.shape[:2] == (20, 2)
    at = page_test("app_pages/live.py", n="400", steps="200", seeds="1")
    assert any("Computed ahead" in s.value for s in at.success)
    slider = at.select_slider(key="live.replay")
    assert slider.value == 200 and list(slider.options) == [str(s) for s in replay.steps]

    def kd_image():
        return [t for t in charts(at)[0]["data"] if t["type"] == "image"][1]["source"]  # teacher, KD, baseline

    last = kd_image()
    slider.set_value(10).run()
    assert not at.exception and kd_image() != last
    assert any("Decision regions at step 10 of 200" in c.value for c in at.caption)
