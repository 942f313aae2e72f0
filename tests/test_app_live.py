"""AppTest for the Live training page: start a short job, wait for it, see figures and the summary."""
import time

import pytest

from tests.conftest import charts, values, plain

FAST = dict(steps="100", seeds="2", n="600")


def wait_for_job(at, key="live", timeout=120):
    """Join the page's background job, then rerun so the page draws its final state."""
    job = at.session_state[f"_job.{key}"]
    assert job.wait(timeout), f"job still {job.state} after {timeout} s"
    at.run()
    return job


def test_page_starts_idle_with_the_honest_defaults(page_test):
    at = page_test("app_pages/live.py")
    assert not at.exception and not at.error
    assert at.selectbox(key="live.dataset").value == "blobs"
    assert at.number_input(key="live.omit").value == 3
    assert "Press **Start**" in at.info[0].value


def test_start_trains_and_shows_regions_curves_and_summary(page_test):
    at = page_test("app_pages/live.py", **FAST)
    at.button(key="start").click().run()
    job = wait_for_job(at)
    assert job.state == "done", job.error
    assert not at.exception
    figs = charts(at)
    regions = [t for t in figs[0]["data"] if t["type"] == "image"]
    assert len(regions) == 3
    curves = figs[1]["data"]
    acc = [t for t in curves if t.get("xaxis") == "x3"]  # test accuracy panel
    assert {t["name"] for t in acc} == {"KD student", "Baseline"}
    assert values(acc[0]["x"])[-1] == 100
    text = " ".join(m.value for m in at.markdown)
    assert "KD" in text and "points" in text and "vs baseline" in text
    labels = [m.label for m in at.metric]
    assert any("unseen class 3" in lab.lower() for lab in labels)


def test_step_trains_one_chunk_then_stops(page_test):
    at = page_test("app_pages/live.py", **FAST)
    at.button(key="step").click().run()
    wait_for_job(at)
    snap = at.session_state["_job.live"].snapshot()
    assert snap.run.step == 10 and snap.final is not None  # chunk of a 100-step run
    assert any("Paused at 10 of 100 steps" in i.value for i in at.info)
    assert not any(h.value == "Result" for h in at.subheader)  # the verdict waits for the configured steps
    at.button(key="step").click().run()
    wait_for_job(at)
    assert at.session_state["_job.live"].snapshot().run.step == 20


def test_pause_and_reset(page_test):
    at = page_test("app_pages/live.py", steps="3000", seeds="1", n="600")
    at.button(key="start").click().run()
    job = at.session_state["_job.live"]
    deadline = time.time() + 60
    while job.state != "running" and time.time() < deadline:
        time.sleep(0.1)
    at.run()
    at.button(key="pause").click().run()
    deadline = time.time() + 60
    while job.state != "paused" and time.time() < deadline:
        time.sleep(0.1)
    assert job.state == "paused"
    at.run()
    assert at.button(key="resume") is not None
    at.button(key="reset").click().run()
    assert "_job.live" not in at.session_state
    assert job.wait(30) and job.state == "stopped"


def test_bad_settings_show_messages(page_test):
    at = page_test("app_pages/live.py", dataset="moons", omit="1")
    assert not at.exception and not at.error and at.session_state["live.omit"] == -1
    assert any("class 1 cannot be left out" in i.value for i in at.info)
    at = page_test("app_pages/live.py")
    at.text_input(key="live.student").set_value("4096").run()
    assert not at.exception and "architecture too large" in plain(at.error[0])


@pytest.mark.parametrize("dataset, moved", [("moons", -1), ("circles", -1), ("spiral", 2), ("xor", -1), ("checkerboard", -1)])
def test_switching_to_fewer_classes_moves_the_omitted_class(page_test, dataset, moved):
    at = page_test("app_pages/live.py")
    at.selectbox(key="live.dataset").set_value(dataset).run()
    assert not at.exception and not at.error and at.session_state["live.omit"] == moved
    assert not at.button(key="start").disabled
    assert any("cannot be left out" in i.value for i in at.info)


def test_noise_zero_on_two_classes_says_trivially_separable(page_test):
    at = page_test("app_pages/live.py", dataset="moons", omit="-1", noise="0")
    assert any("trivially separable" in i.value for i in at.info)
    at = page_test("app_pages/live.py", dataset="moons", omit="-1", noise="0.2")
    assert not any("trivially separable" in i.value for i in at.info)
