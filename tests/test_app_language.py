"""AppTest of the Distilling a language model page: a result computed ahead on first load, Start, the page while
its run is in a phase and in mid-run, the exercise, the bell-curve slider and bad input."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from kdviz.experiments import cache
from kdviz.experiments import language as L
from kdviz.experiments.protocol import Phase
from tests.conftest import charts, plain
from tests.test_app_paradigms import _train
from tests.test_experiment_language import tiny_recipe_teacher

ROOT = Path(__file__).resolve().parents[1]
SMALL = dict(methods="labels,forward_kl,reverse_kl", steps="10", seeds="2", hidden="16")


@pytest.fixture(scope="module", autouse=True)
def tiny_teacher():
    tiny_recipe_teacher()  # stored as the default recipe's: every run of this module (in any worker) loads it


def _open(**query) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app_pages" / "language.py"), default_timeout=120)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def _texts(at: AppTest) -> str:
    return " ".join(plain(m) for m in [*at.markdown, *at.caption, *at.success, *at.info, *at.warning])


def test_first_load_shows_the_result_computed_ahead_labelled_as_such():
    cfg = L.LanguageConfig(methods=SMALL["methods"], steps=10, seeds=2, hidden=16)
    cache.warm([("language", cfg)])
    at = _open(**SMALL)
    assert not at.exception
    assert "Computed ahead for these settings" in _texts(at)
    assert len(charts(at)) == 5  # the torn position, three curves, the bells
    assert at.dataframe[1].value.shape[0] == 3  # the results table: one row per method
    assert "Reverse KL (MiniLLM) avoids" in _texts(at) and "Verdict:" in _texts(at)
    assert len(at.latex) == 2 + 3  # the KL written both ways, then each method's loss


def test_start_trains_and_the_exercise_answers_from_the_run():
    at = _open(**SMALL, seed="7")
    assert not at.exception and "Press **Start**" in " ".join(i.value for i in at.info)
    at.radio(key="exercise.language_best").set_value("forward KL").run()
    at.button(key="exercise.language_best.commit").click().run()
    at = _train(at, "language")  # Start, wait for the job (bounded), draw again
    assert not at.exception
    assert len(charts(at)) == 5 and at.dataframe[0].value.shape[0] == 4  # the samples: the teacher and 3 students
    answer = [plain(m) for m in [*at.success, *at.warning] if "Your prediction" in plain(m)]
    assert answer and "bits per character over labels only" in answer[0]


def test_the_page_draws_a_phase_and_a_snapshot_in_mid_run(monkeypatch):
    """What a running job shows: the phase line first, then curves and samples before the verdicts."""
    from ui import jobs

    cfg = L.LanguageConfig(**{**SMALL, "steps": 10, "seeds": 2, "hidden": 16})
    run = L.run(cfg)
    phase, first = next(run), next(run)
    assert isinstance(phase, Phase) and not first.done
    for snap, expect in ((phase, 0), (first, 4)):
        class Running:
            id, version, state, done, progress, error = "fake", 1, "running", False, 0.5, None
            queue_position = requested = wait_seconds = cost = None

            def snapshot(self):
                return snap
        monkeypatch.setattr(jobs, "current", lambda key: Running())
        at = _open(**SMALL)
        assert not at.exception
        assert len(charts(at)) == expect + 1  # and the bells, always
        if expect:
            assert at.dataframe[0].value.shape[0] == 4 and "Results over" not in _texts(at)
        else:
            assert "teacher" in " ".join(c.value for c in at.caption).lower()


def test_the_bell_curves_follow_the_beta_slider():
    at = _open(**SMALL)
    before = charts(at)[-1]
    at.slider(key="language.toy_beta").set_value(0.9).run()
    after = charts(at)[-1]
    assert not at.exception
    assert before["data"][3]["y"] != after["data"][3]["y"]  # the JSD fit moved
    assert "β = 0.9" in after["layout"]["title"]["text"]


def test_bad_input_is_one_clear_message():
    at = _open(prompt="caf\u00e9")
    assert not at.exception
    assert any("vocabulary" in plain(w) or "prompt" in plain(w) for w in [*at.warning, *at.error])
    at = _open(methods="labels,nonsense")
    assert not at.exception
    assert any("methods" in plain(w) for w in at.warning)
