"""AppTest of the Compare paradigms and Beyond one teacher pages (small settings through the URL)."""
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.conftest import charts, plain

ROOT = Path(__file__).resolve().parents[1]


def _open(page: str, **query) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app_pages" / page), default_timeout=120)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def _train(at: AppTest, key: str) -> AppTest:
    at.button(key="start").click().run()
    job = at.session_state[f"_job.{key}"]
    deadline = time.time() + 120
    while not job.done and time.time() < deadline:
        time.sleep(0.3)
    assert job.state == "done", job.error
    return at.run()


def test_compare_page_trains_and_shows_results():
    at = _open("compare.py", methods="kd,mutual", steps="60", seeds="2")
    assert not at.exception
    assert len(at.latex) == 3  # baseline, kd, mutual formulas
    at = _train(at, "compare")
    assert not at.exception
    figs = charts(at)
    assert len(figs) == 3  # decision regions (one row of 4), curves, per-seed accuracies
    assert at.dataframe[0].value.shape[0] == 3
    assert any("seed" in m.value for m in at.markdown)


def test_compare_page_explains_bad_input():
    at = _open("compare.py", dataset="moons", omit="1")
    assert "leaves one class" in plain(at.error[0])
    at = _open("compare.py", methods="kd,nonsense")
    assert any("Ignored the link's value methods" in plain(w) for w in at.warning)


def test_beyond_page_fills_four_tabs():
    at = _open("beyond.py", steps="60", seeds="2", generations="1")
    assert not at.exception and len(at.tabs) == 4
    at = _train(at, "beyond")
    assert not at.exception
    assert len(charts(at)) == 8
    assert sum("seed" in m.value for m in at.markdown) >= 3
