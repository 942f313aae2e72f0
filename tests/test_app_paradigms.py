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
    at = _open("compare.py", dataset="moons", omit="1")  # moved, as on Live (kdviz.data.omission)
    assert not at.exception and not at.error and at.session_state["compare.omit"] == -1
    assert any("class 1 cannot be left out" in i.value for i in at.info)
    at = _open("compare.py", methods="kd,nonsense")
    assert any("Ignored the link's value methods" in plain(w) for w in at.warning)


def test_beyond_page_fills_four_tabs():
    at = _open("beyond.py", steps="60", seeds="2", generations="1")
    assert not at.exception and len(at.tabs) == 4
    at = _train(at, "beyond")
    assert not at.exception
    assert len(charts(at)) == 8
    assert sum("seed" in m.value for m in at.markdown) >= 3


def test_compare_page_trains_on_an_uploaded_csv_and_offers_exports(monkeypatch, tmp_path):
    """The upload widget cannot be driven by AppTest: the checked table is fed through the same component."""
    import numpy as np

    from kdviz.data import csv as csv_data
    from ui import upload

    rng = np.random.default_rng(0)
    table = csv_data.Table(rng.normal(size=(200, 5)) + np.repeat([[0.0], [2.0]], 100, 0), np.repeat([0, 1], 100),
                           [f"f{i}" for i in range(5)], ["no", "yes"], "label")
    name = csv_data.store(table)
    import dataclasses
    monkeypatch.setattr(upload, "dataset", lambda cfg, key, two_d_only=False: dataclasses.replace(cfg, dataset=name))
    at = _open("compare.py", methods="kd", steps="60", seeds="2", omit="-1")
    at = _train(at, "compare")
    assert not at.exception
    assert at.dataframe[0].value.shape[0] == 2
    labels = [b.label for b in at.get("download_button")]
    assert "Numbers (CSV)" in labels and "Best student overall: " in " ".join(labels)
    csv_data.remove(name)


def test_beyond_page_says_not_judged_when_students_failed(monkeypatch, tmp_path, diverging):
    from kdviz.experiments import beyond, cache

    monkeypatch.setenv("KDVIZ_CACHE_DIR", str(tmp_path))
    diverging(beyond)
    cfg = beyond.BeyondConfig(steps=60, seeds=2, generations=1)
    cache.warm([("beyond", cfg)])  # the failed run, as the page shows a stored result
    at = _open("beyond.py", steps="60", seeds="2", generations="1")
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert text.count("Not judged") >= 4 and "lower the learning rate" in text  # one per tab at least
    assert "within the seed spread" not in text
