"""Predict-then-check: the answer comes from the run (change the run, the answer changes), and the page's block."""
from __future__ import annotations

import numpy as np
import pytest

from kdviz import exercises
from kdviz.experiments.live import Summary


def summary(kd_recall, base_recall):
    return Summary(kd_acc=np.array([0.8, 0.82]), base_acc=np.array([0.73, 0.74]), kd_recall=kd_recall,
                   base_recall=base_recall, kd_fidelity=0.9, base_fidelity=0.8, teacher_acc=0.9, diverged=[])


@pytest.mark.parametrize("kd, base, answer", [(0.6, 0.0, exercises.KD), (0.1, 0.3, exercises.BASELINE),
                                              (0.31, 0.3, exercises.SAME)])
def test_the_answer_is_computed_from_the_runs_recalls(kd, base, answer):
    got, why = exercises.unseen_class(summary(kd, base))
    assert got == answer
    assert f"{kd:.0%}" in why and f"{base:.0%}" in why and "2 seeds" in why


def test_a_run_without_an_unseen_class_has_no_answer():
    with pytest.raises(ValueError, match="omitted no class"):
        exercises.unseen_class(summary(None, None))


def test_the_live_page_asks_for_a_prediction_before_the_run(page_test):
    at = page_test("app_pages/live.py")
    assert not at.exception
    radio = at.radio(key="exercise.unseen")
    assert list(radio.options) == list(exercises.UNSEEN_CHOICES) and radio.value is None
    assert at.button(key="exercise.unseen.commit").disabled
    radio.set_value(exercises.KD).run()
    at.button(key="exercise.unseen.commit").click().run()
    assert at.radio(key="exercise.unseen").disabled
    assert any("Your prediction: **the KD student**" in i.value for i in at.info)


def test_after_the_run_the_answer_is_the_runs(page_test):
    from kdviz.experiments import live
    from tests.test_app_live import FAST, wait_for_job

    at = page_test("app_pages/live.py", **FAST)
    at.radio(key="exercise.unseen").set_value(exercises.BASELINE).run()
    at.button(key="exercise.unseen.commit").click().run()
    at.button(key="start").click().run()
    job = wait_for_job(at)
    s = live.summarise(job.snapshot(), 3)
    answer, why = exercises.unseen_class(s)
    shown = [m.value for m in (*at.success, *at.warning) if "From your run" in m.value]
    assert shown == [f"Your prediction: **{exercises.BASELINE}**. From your run: **{answer}**. {why}"]
    assert f"{s.kd_recall:.0%}" in shown[0]
