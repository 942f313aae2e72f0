"""AppTest for the home, Temperature and Gradients pages: state, figures, URL round trip, bad input."""
import numpy as np
import pytest

from tests.conftest import charts, values, plain


def test_home_page_renders_and_lists_the_pages(page_test):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import APP

    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    links = [link.proto.label for link in at.get("page_link")]
    assert "knowledge distillation" in text.lower() and "1. Temperature" in links and "2. Gradients" in links


def test_temperature_page_draws_softmax_at_t(page_test):
    at = page_test("app_pages/temperature.py")
    assert not at.exception and not at.error
    bars = charts(at)[0]["data"]
    soft = values(bars[2]["y"])
    z = np.array([8, 3, 1.5, 0, -2.0])
    ref = np.exp(z / 4) / np.exp(z / 4).sum()
    assert np.allclose(soft, ref)
    assert at.query_params["T"] == ["4"] or at.query_params["T"] == "4"


def test_changing_t_changes_the_figure_and_the_url(page_test):
    at = page_test("app_pages/temperature.py")
    before = values(charts(at)[0]["data"][2]["y"])
    at.select_slider(key="temp.T").set_value(20.0).run()
    after = values(charts(at)[0]["data"][2]["y"])
    assert not np.allclose(before, after)
    assert np.ptp(after) < np.ptp(before)  # higher T: flatter
    assert "20" in str(at.query_params["T"])


def test_a_second_session_gets_the_first_sessions_figures_without_building_them(page_test, monkeypatch):
    import plotly.graph_objects as go

    from kdviz.plots import softening as softening_plots

    logits = "2.7, 1.3, -0.4"  # settings no other test draws
    at = page_test("app_pages/temperature.py")
    at.text_input(key="temp.logits").set_value(logits).run()
    built = []
    for name in ("softmax_bars", "entropy_curve", "probs_vs_temperature"):
        monkeypatch.setattr(softening_plots, name, lambda *a, _n=name, **k: built.append(_n) or go.Figure())
    second = page_test("app_pages/temperature.py")
    second.text_input(key="temp.logits").set_value(logits).run()
    assert not second.exception and built == []  # every figure came from the server's shared ones
    assert charts(second) == charts(at) and len(charts(at)) == 3
    second.select_slider(key="temp.T").set_value(8.0).run()  # new settings: built again (here by the stand-ins)
    assert not second.exception and sorted(built) == ["entropy_curve", "probs_vs_temperature", "softmax_bars"]


def test_default_logits_are_said_to_keep_their_ranking(page_test):
    at = page_test("app_pages/temperature.py")
    text = " ".join(m.value for m in at.markdown)
    assert "The ranking never changes" in text and "Tied logits" not in text


def test_preset_fills_the_logits_and_tie_shares_mass(page_test):
    at = page_test("app_pages/temperature.py")
    at.selectbox(key="temp.preset").set_value("a tie").run()
    assert at.text_input(key="temp.logits").value == "3, 3, 1, 0, -1"
    text = " ".join(m.value for m in at.markdown)
    assert "share it equally" in text and "0.50 each" in text


def test_url_parameters_restore_the_state(page_test):
    at = page_test("app_pages/temperature.py", logits="1, 2, 3", T="0.5", label="2", preset="your own values")
    assert not at.exception and not at.warning
    assert at.text_input(key="temp.logits").value == "1, 2, 3"
    assert at.select_slider(key="temp.T").value == 0.5
    soft = values(charts(at)[0]["data"][2]["y"])
    z = np.array([1, 2, 3.0])
    assert np.allclose(soft, np.exp(z / 0.5) / np.exp(z / 0.5).sum())


def test_malformed_url_values_fall_back_with_a_notice(page_test):
    at = page_test("app_pages/temperature.py", T="hot", logits="1, nope")
    assert not at.exception
    notices = " ".join(plain(w) for w in at.warning)
    assert "T='hot'" in notices and "logits='1, nope'" in notices
    assert at.select_slider(key="temp.T").value == 4.0


@pytest.mark.parametrize("logits,message", [
    ("1, banana, 3", "'banana' is not a number"),
    ("5", "enter 2 to 20 separated by commas"),
    ("1, nan", "finite"),
    ("1, 1e9", "within ±10,000"),
])
def test_bad_logits_show_a_message_not_a_traceback(page_test, logits, message):
    at = page_test("app_pages/temperature.py")
    at.text_input(key="temp.logits").set_value(logits).run()
    assert not at.exception
    assert message in plain(at.error[0])
    assert at.selectbox(key="temp.preset").value == "your own values"


def test_label_beyond_the_classes_is_explained(page_test):
    at = page_test("app_pages/temperature.py")
    at.number_input(key="temp.label").set_value(7).run()
    assert not at.exception and "below the number of classes (5)" in plain(at.error[0])


def test_gradients_page_analytic_matches_autograd(page_test):
    at = page_test("app_pages/gradients.py")
    assert not at.exception and not at.error
    bars = charts(at)[0]["data"]
    assert np.allclose(values(bars[0]["y"]), values(bars[1]["y"]), atol=1e-12)
    norms = charts(at)[1]["data"]
    t, plain = values(norms[1]["x"]), values(norms[1]["y"])
    assert np.all(np.diff(plain[t >= 10]) < 0)  # without T^2 the norm falls at high T...
    big = t >= 100
    assert np.allclose(plain[big] * t[big] ** 2, plain[big][-1] * t[big][-1] ** 2, rtol=0.05)  # ...like 1/T^2
    table = at.dataframe[0].value
    assert list(table["verdict"]) == ["false"] * len(table)


def test_gradients_page_changes_with_t_and_restores_from_url(page_test):
    at = page_test("app_pages/gradients.py", student="1, 0, -1", teacher="0, 1, 2", T="10")
    assert at.select_slider(key="grad.T").value == 10.0
    bars = charts(at)[0]["data"]
    p, q = np.exp(np.array([1, 0, -1]) / 10), np.exp(np.array([0, 1, 2]) / 10)
    assert np.allclose(values(bars[0]["y"]), 10 * (p / p.sum() - q / q.sum()))
    at.select_slider(key="grad.T").set_value(1.0).run()
    assert not np.allclose(values(charts(at)[0]["data"][0]["y"]), values(bars[0]["y"]))


def test_gradients_page_rejects_mismatched_logits(page_test):
    at = page_test("app_pages/gradients.py", student="1, 2, 3", teacher="1, 2")
    assert not at.exception
    assert "same number of classes" in plain(at.error[0])


def test_gradients_page_notes_torchdistills_alpha_zero_slip_with_computed_numbers(page_test):
    from kdviz.torchdistill_check import scale_jump

    at = page_test("app_pages/gradients.py", student="1, 0, -1", teacher="0, 1, 2", T="8")
    j = scale_jump([1.0, 0.0, -1.0], [0.0, 1.0, 2.0], 8.0)
    note = [m.value for m in at.markdown if "torchdistill 1.1.5" in m.value]
    assert len(note) == 1 and f"{j.jump:.4g} times" in note[0] and f"{j.at_zero:.4g}" in note[0]
    assert 60 < j.jump < 65  # about T^2 = 64
