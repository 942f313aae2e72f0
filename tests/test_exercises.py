"""Predict-then-check: each answer is computed from the page's values or the run (change them, the answer
changes), and the pages' blocks ask for a commitment before they show it."""
from __future__ import annotations

import numpy as np
import pytest

from kdviz import exercises as E
from kdviz import softening
from kdviz.experiments.compare import Row
from kdviz.experiments.live import Summary
from kdviz.experiments.stats import paired
from kdviz.softening_curves import gradient_sweep, high_t_gradient_norm


def summary(kd_recall, base_recall):
    return Summary(kd_acc=np.array([0.8, 0.82]), base_acc=np.array([0.73, 0.74]), kd_recall=kd_recall,
                   base_recall=base_recall, kd_fidelity=0.9, base_fidelity=0.8, teacher_acc=0.9, diverged=[])


@pytest.mark.parametrize("kd, base, answer", [(0.6, 0.0, E.KD), (0.1, 0.3, E.BASELINE), (0.31, 0.3, E.SAME)])
def test_the_unseen_class_answer_is_the_runs_recalls(kd, base, answer):
    got = E.unseen_class(E.KD, summary(kd, base))
    assert got.answer == answer and got.correct == (answer == E.KD)
    assert f"{kd:.0%}" in got.why and f"{base:.0%}" in got.why and "2 seeds" in got.why


def test_a_run_without_an_unseen_class_has_no_answer():
    with pytest.raises(ValueError, match="omitted no class"):
        E.unseen_class(E.KD, summary(None, None))
    with pytest.raises(ValueError, match="omitted no class"):
        E.recall_challenge(E.YES, (summary(None, None), (32,), 5))


def test_the_recall_challenge_is_checked_on_the_run_and_scores_the_students_size():
    reached = E.recall_challenge(E.YES, (summary(0.85, 0.0), (8,), 5))
    missed = E.recall_challenge(E.YES, (summary(0.6, 0.0), (32,), 5))
    assert (reached.answer, reached.correct, missed.answer, missed.correct) == (E.YES, True, E.NO, False)
    assert "2-8-5, 69 parameters" in reached.why and "69 parameters: that is your score" in reached.why
    assert "2-32-5, 261 parameters" in missed.why and "85%" in reached.why and "60%" in missed.why


def test_the_wrong_classes_mass_is_the_softmax_at_the_pages_t():
    z = [8.0, 3.0, 1.5, 0.0, -2.0]
    cold, hot = E.wrong_mass(1.0, (z, 0, 1.0)), E.wrong_mass(1.0, (z, 0, 10.0))
    for check, T in ((cold, 1.0), (hot, 10.0)):
        assert check.answer == f"{(1 - float(softening.softmax_t(z, T)[0])) * 100:.1f}%"
    assert cold.answer != hot.answer and cold.correct and not hot.correct  # 0.9% is within 10 points of 1


def test_raising_t_never_changes_the_first_class_and_the_answer_names_it():
    a, b, tie = E.top_class_changes(E.YES, [1.0, 5.0, 2.0]), E.top_class_changes(E.NO, [9.0, 0.0]), \
        E.top_class_changes(E.NO, [3.0, 3.0, 1.0])
    assert (a.answer, a.correct, b.correct) == (E.NO, False, True)
    assert "class 1 is first" in a.why and "class 0 is first" in b.why and "classes 0, 1 tie" in tie.why


def test_the_gradient_peak_is_the_sweeps_and_moves_with_the_logits():
    default = E.peak_temperature(6.0, gradient_sweep([2, 1, 0.5, -1, 0], [5, 3, -1, -2, 0]))
    other = E.peak_temperature(6.0, gradient_sweep([0, 0, 0], [10, 0, 0]))
    monotone = E.peak_temperature(6.0, gradient_sweep([1, 0], [0, 1]))
    assert default.answer == "T ≈ 6.44" and other.answer == "T ≈ 9.66" and default.correct and other.correct
    assert monotone.answer.startswith("no peak") and not monotone.correct and "only grows" in monotone.why
    assert not E.peak_temperature(40.0, gradient_sweep([2, 1, 0.5, -1, 0], [5, 3, -1, -2, 0])).correct


def test_the_gradient_against_its_limit_depends_on_t():
    z, v = [2.0, 1.0, 0.5, -1.0, 0.0], [5.0, 3.0, -1.0, -2.0, 0.0]
    limit = high_t_gradient_norm(z, v)
    answers = {T: E.versus_limit(E.SMALLER, (softening.soft_gradient(z, v, T).numpy(), limit, T)).answer
               for T in (0.5, 4.0, 8.0)}
    assert answers == {0.5: E.SMALLER, 4.0: E.AT_LIMIT, 8.0: E.LARGER}  # the peak near T = 6 lies above the limit


def test_the_omitted_digits_recall_is_the_runs_mean():
    low, high = E.omitted_recall(50, (np.array([0.4, 0.5]), 3, 55)), E.omitted_recall(50, (np.array([0.9, 1.0]), 3, 55))
    assert (low.answer, low.correct, high.answer, high.correct) == ("45%", True, "95%", False)
    assert "55 test 3s" in low.why


@pytest.mark.parametrize("normal, smoothed, answer", [([0.8, 0.7, 0.75], [0.5, 0.45, 0.5], E.WORSE),
                                                      ([0.5, 0.45, 0.5], [0.8, 0.7, 0.75], E.BETTER),
                                                      ([0.5, 0.6, 0.5], [0.6, 0.5, 0.5], E.NO_CLEAR)])
def test_the_smoothed_teachers_answer_is_the_paired_verdict(normal, smoothed, answer):
    check = E.smoothed_teacher(E.WORSE, paired(normal, smoothed))
    assert check.answer == answer and check.correct == (answer == E.WORSE) and "3 seeds" in check.why


def row(method, gain):
    gain = np.asarray(gain, dtype=np.float64)
    return Row(method, 0.7 + gain, gain, 0.9, 0.1, None, 0.3, [])


def test_the_best_paradigm_and_the_kd_challenge_come_from_the_runs_rows():
    run_a = [row("baseline", [0, 0, 0]), row("kd", [0.08, 0.09, 0.1]), row("fitnet", [0.01, -0.01, 0.0])]
    run_b = [row("baseline", [0, 0, 0]), row("kd", [-0.05, -0.04, -0.06]), row("fitnet", [0.01, 0.02, 0.01])]
    best_a, best_b = E.best_paradigm("KD (Hinton)", run_a), E.best_paradigm("KD (Hinton)", run_b)
    assert best_a.answer == run_a[1].name and best_a.correct
    assert best_b.answer == run_b[2].name and not best_b.correct
    assert (E.kd_loses(E.YES, run_a).answer, E.kd_loses(E.YES, run_b).answer) == (E.NO, E.YES)
    assert "Found" in E.kd_loses(E.YES, run_b).why
    with pytest.raises(ValueError, match="no KD students"):
        E.kd_loses(E.YES, [run_a[0], run_a[2]])


def test_a_prediction_outside_the_choices_is_refused():
    with pytest.raises(ValueError, match="not one of the choices"):
        E.EXERCISES["exercise.temp_rank"].run("maybe", [1.0, 2.0])


def test_the_live_page_asks_for_a_prediction_before_the_run(page_test):
    at = page_test("app_pages/live.py")
    assert not at.exception
    radio = at.radio(key="exercise.unseen")
    assert list(radio.options) == list(E.UNSEEN_CHOICES) and radio.value is None
    assert at.button(key="exercise.unseen.commit").disabled
    radio.set_value(E.KD).run()
    at.button(key="exercise.unseen.commit").click().run()
    assert at.radio(key="exercise.unseen").disabled
    assert any("Your prediction: **the KD student**" in i.value for i in at.info)


def test_after_the_run_both_live_answers_are_the_runs(page_test):
    from kdviz.config import parse_widths
    from kdviz.experiments import live
    from tests.test_app_live import FAST, wait_for_job

    at = page_test("app_pages/live.py", **FAST)
    at.radio(key="exercise.unseen").set_value(E.BASELINE).run()
    at.button(key="exercise.unseen.commit").click().run()
    at.radio(key="exercise.live_goal").set_value(E.YES).run()
    at.button(key="exercise.live_goal.commit").click().run()
    at.button(key="start").click().run()
    job = wait_for_job(at)
    s = live.summarise(job.snapshot(), 3)
    unseen = E.unseen_class(E.BASELINE, s)
    goal = E.recall_challenge(E.YES, (s, parse_widths(live.LiveConfig().student), 5))
    shown = [m.value for m in (*at.success, *at.warning) if "From your run" in m.value]
    assert shown == [f"Your prediction: **{E.BASELINE}**. From your run: **{unseen.answer}**. {unseen.why}",
                     f"Your prediction: **{E.YES}**. From your run: **{goal.answer}**. {goal.why}"]
    assert f"{s.kd_recall:.0%}" in shown[0]


def test_the_temperature_answer_follows_the_pages_t(page_test):
    at = page_test("app_pages/temperature.py", T="1")
    at.number_input(key="exercise.temp_mass").set_value(50).run()
    assert not any("Computed for these values" in m.value for m in (*at.success, *at.warning))  # not before Commit
    at.button(key="exercise.temp_mass.commit").click().run()
    z = [8.0, 3.0, 1.5, 0.0, -2.0]
    at1 = [m.value for m in (*at.success, *at.warning) if "Computed for these values" in m.value]
    assert at1 == [f"Your prediction: **50%**. Computed for these values: **{E.wrong_mass(50, (z, 0, 1.0)).answer}**. "
                   f"{E.wrong_mass(50, (z, 0, 1.0)).why}"]
    at.select_slider(key="temp.T").set_value(20.0).run()
    at20 = [m.value for m in (*at.success, *at.warning) if "Computed for these values" in m.value]
    assert at20 and at20 != at1 and E.wrong_mass(50, (z, 0, 20.0)).answer in at20[0]


def test_the_gradient_peak_exercise_answers_from_the_pages_sweep(page_test):
    at = page_test("app_pages/gradients.py")
    at.number_input(key="exercise.grad_peak").set_value(6.0).run()
    at.button(key="exercise.grad_peak.commit").click().run()
    assert any("**T ≈ 6.44**" in m.value for m in at.success)
    at.button(key="exercise.grad_peak.again").click().run()
    widget = at.number_input(key="exercise.grad_peak")
    assert widget.value is None and not widget.disabled
