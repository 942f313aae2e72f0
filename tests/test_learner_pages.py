"""A learner's path through Live training and the claim pages: what the page says after Step and Reset, and
figures whose colours and log-axis labels read as what they show."""
import numpy as np
import plotly.graph_objects as go
import pytest

from kdviz.experiments import cache
from kdviz.experiments.findings import Panel
from kdviz.experiments.live import LiveConfig
from kdviz.plots import style
from kdviz.plots.claims import panel_figure

FAST = LiveConfig(n=400, steps=100, seeds=1)
QUERY = dict(n="400", steps="100", seeds="1")


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KDVIZ_CACHE_DIR", str(tmp_path))
    return tmp_path


def step(at, times: int = 1):
    """Press Step ``times`` times, joining each job (bounded wait) and redrawing the page after it."""
    for _ in range(times):
        at.button(key="step").click().run()
        job = at.session_state["_job.live"]
        assert job.wait(120), f"job still {job.state}"
        at.run()
    return at


def test_after_step_the_page_says_paused_not_finished(page_test):
    at = step(page_test("app_pages/live.py", **QUERY))
    assert any("Paused at 10 of 100 steps" in i.value for i in at.info)
    assert not any("Finished" in c.value for c in at.caption)  # one story: paused, waiting for more steps


def test_a_full_run_still_says_finished(page_test):
    at = page_test("app_pages/live.py", **{**QUERY, "steps": "30"})
    at.button(key="start").click().run()
    assert at.session_state["_job.live"].wait(120)
    at.run()
    assert any(c.value == "Finished." for c in at.caption)


def test_reset_shows_the_stored_result_at_its_last_step_not_the_replay_position(empty_cache, page_test):
    cache.warm([("live", FAST)])
    at = step(page_test("app_pages/live.py", **QUERY), times=3)  # a 30-step run: three frames to replay
    slider = at.select_slider(key="live.replay")
    assert slider.value == 30
    slider.set_value(20).run()
    at.button(key="reset").click().run()
    assert any("Computed ahead" in s.value for s in at.success)
    assert at.select_slider(key="live.replay").value == 100
    assert any("Decision regions at step 100 of 100" in c.value for c in at.caption)


def test_a_new_step_run_opens_its_replay_at_its_newest_frame(page_test):
    at = step(page_test("app_pages/live.py", **QUERY), times=3)
    at.select_slider(key="live.replay").set_value(10).run()
    step(at)
    assert at.select_slider(key="live.replay").value == 40


def temperature_panel() -> Panel:
    """The temperature table's panel as kdviz.experiments.claims builds it (three students, T on a log axis)."""
    rng = np.random.default_rng(0)
    names = ["small student (16), teacher as trained", "small student, high-confidence teacher (logits x4)",
             "similar-size student (64x64)"]
    return Panel("Test accuracy against T", "T", "test accuracy", [1.0, 2.0, 4.0, 8.0, 20.0],
                 {n: rng.uniform(0.7, 0.9, (3, 5)) for n in names}, log_x=True, percent=True)


def mean_lines(fig) -> list:
    return [t for t in fig.data if t.showlegend is not False]


@pytest.mark.parametrize("names", [
    ["small student (16), teacher as trained", "small student, high-confidence teacher (logits x4)",
     "similar-size student (64x64)"],
    ["agreement, alpha = 0", "agreement, alpha = 0.5", "student accuracy, alpha = 0", "student accuracy, alpha = 0.5"],
    ["teacher", "baseline", "KD student", "student, T = 8"]])
def test_every_series_of_a_panel_has_its_own_colour(names):
    panel = Panel("p", "T", "y", [1.0, 2.0], {n: np.ones((2, 2)) for n in names}, log_x=True)
    colours = [t.line.color for t in mean_lines(panel_figure(panel))]
    assert len(colours) == len(names) and len(set(colours)) == len(names), dict(zip(names, colours))
    assert set(colours) <= set(style.PALETTE) | {style.TEACHER, style.STUDENT, style.BASELINE}


def test_role_names_keep_their_role_colours():
    panel = Panel("p", "x", "y", ["a", "b"], {"teacher": np.ones((2, 2)), "baseline": np.ones((2, 2)),
                                              "KD student": np.ones((2, 2))})
    assert [t.line.color for t in mean_lines(panel_figure(panel))] == [style.TEACHER, style.BASELINE, style.STUDENT]


def test_a_log_axis_is_labelled_with_the_values_it_shows():
    fig = panel_figure(temperature_panel())
    axis = fig.layout.xaxis
    assert axis.type == "log"
    assert list(axis.tickvals) == [1.0, 2.0, 4.0, 8.0, 20.0]
    assert list(axis.ticktext) == ["1", "2", "4", "8", "20"]  # never a bare "2" standing for 20


def test_log_ticks_at_values_reads_as_the_values():
    fig = style.log_ticks(go.Figure(), "x",
                          at=[0.9, 20, 30, 1500])
    assert list(fig.layout.xaxis.ticktext) == ["0.9", "20", "30", "1,500"]


def test_point_clouds_are_drawn_without_webgl():
    from kdviz.plots.data import projection_scatter
    from kdviz.plots.paradigms import disagreement_map
    from kdviz.plots.training import decision_boundaries
    xs = ys = np.linspace(-1, 1, 4)
    pts, lab = np.random.default_rng(0).normal(size=(600, 2)), np.arange(600) % 3
    figs = [decision_boundaries([("Teacher", np.full((4, 4, 3), 1 / 3))] * 3, xs, ys, pts, lab, ["a", "b", "c"]),
            disagreement_map(xs, ys, np.zeros((4, 4)), pts, lab), projection_scatter(pts, lab, ["a", "b", "c"])]
    types = {t.type for f in figs for t in f.data}
    assert "scatter" in types and not any(t.endswith("gl") for t in types)  # each gl figure takes WebGL contexts
