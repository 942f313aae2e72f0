"""AppTest of the job controls on Live training: a run too large for the server is refused with its
estimated time, Pause shows at once, Reset stops the job."""
from tests.test_app_live import FAST


def test_a_run_too_long_for_the_server_is_refused_with_its_time(page_test):
    at = page_test("app_pages/live.py", steps="5000", seeds="5", student="512, 512", teacher="512, 512", n="10000",
                 batch="256")
    at.button(key="start").click().run()
    assert not at.exception
    assert "_job.live" not in at.session_state  # nothing was submitted
    (warning,) = [w.value for w in at.warning if w.value.startswith("This run would take")]
    assert "minutes on this server" in warning and "lower Steps" in warning


def test_pause_shows_at_once_and_reset_stops_the_job(page_test):
    at = page_test("app_pages/live.py", **{**FAST, "steps": "5000"})
    at.button(key="start").click().run()
    job = at.session_state["_job.live"]
    at.button(key="pause").click().run()
    assert not at.exception
    assert at.button(key="resume")  # the new state is shown in the same rerun
    assert any(c.value.startswith(("Pausing", "Paused")) for c in at.caption)
    at.button(key="reset").click().run()
    assert job.wait(30) and job.state == "stopped"
    assert "_job.live" not in at.session_state
