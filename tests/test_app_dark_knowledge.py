"""AppTest for the Dark knowledge page: teachers' views at once, then the three training tabs with small settings."""
import numpy as np

from tests.conftest import charts, values

FAST = dict(steps="200", seeds="2", sweep_steps="50", sweep_seeds="2")


def wait_for_job(at, key, timeout=120):
    """Join the page's background job, then rerun so the page draws its final state."""
    job = at.session_state[f"_job.{key}"]
    assert job.wait(timeout), f"job still {job.state} after {timeout} s"
    assert job.state == "done", job.error
    at.run()
    return job


def test_teacher_views_draw_without_any_click(page_test):
    at = page_test("app_pages/dark_knowledge.py", image="5", T="4")
    assert not at.exception and not at.error
    figs = charts(at)
    assert len(figs) == 4  # image, bars, similarity, profile
    bars = [t for t in figs[1]["data"] if t["type"] == "bar"]
    p_t = values(bars[1]["y"])
    assert np.isclose(p_t.sum(), 1.0, atol=1e-6)
    text = " ".join(m.value for m in at.markdown)
    assert "second" in text and "third" in text and "most alike pairs" in text
    assert at.number_input(key="dark.omit").value == 3 and at.select_slider(key="dark.kd_T").value == 8.0


def test_omitted_digit_run_shows_paper_and_ours(page_test):
    at = page_test("app_pages/dark_knowledge.py", **FAST)
    at.button(key="omit_start").click().run()
    wait_for_job(at, "dark.omit")
    assert not at.exception
    table = at.dataframe[0].value
    sources = " ".join(table["source"])
    assert "Paper (Hinton et al. 2015" in sources and "Ours (8x8 digits" in sources
    assert "206 of 10000" in " ".join(table["test errors"])
    assert any("bias_fig" in str(c.key) for c in at.get("plotly_chart")) or len(charts(at)) >= 5
    assert "never saw a 3" in " ".join(m.value for m in at.markdown)


def test_smoothing_and_sweep_runs(page_test):
    at = page_test("app_pages/dark_knowledge.py", **FAST)
    at.button(key="smooth_start").click().run()
    wait_for_job(at, "dark.smooth")
    at.button(key="sweep_start").click().run()
    wait_for_job(at, "dark.sweep")
    assert not at.exception
    rows = at.dataframe[0].value
    assert len(rows) == 2 and "label-smoothed" in rows.iloc[1, 0]
    text = " ".join(m.value for m in at.markdown)
    assert "Müller" in text and "small student" in text and "tiny student" in text
    heat = [f for f in charts(at) if any(t["type"] == "heatmap" and t.get("texttemplate") for t in f["data"])]
    assert len(heat) == 2  # accuracy and fidelity


def test_bad_link_values_fall_back_with_a_notice(page_test):
    at = page_test("app_pages/dark_knowledge.py", image="9999", T="abc")
    assert not at.exception
    assert at.number_input(key="dark.image").value == 0
    assert len(at.warning) >= 2


def test_the_omitted_digit_section_says_not_judged_when_students_failed(page_test, monkeypatch, tmp_path, diverging):
    from kdviz.experiments import cache, dark_knowledge
    from kdviz.experiments.dark_knowledge import omitted

    monkeypatch.setenv("KDVIZ_CACHE_DIR", str(tmp_path))
    diverging(omitted)
    cache.warm([("dark_omitted", dark_knowledge.omitted_config(dark_knowledge.DarkConfig(steps=100)))])
    at = page_test("app_pages/dark_knowledge.py", steps="100")
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "Not judged" in text and "lower the learning rate" in text
