"""Predict, then check: one generic block (the learner commits to a prediction, then the answer computed from the
page's values or their own run appears, with an explanation), and each page's exercises drawn with it inside an
"Exercises" expander below the page's main results. The questions and answers live in kdviz.exercises.
"""
from __future__ import annotations

from typing import Any, Callable

import streamlit as st

from kdviz.config import parse_widths
from kdviz.data import spec
from kdviz.exercises import EXERCISES, Exercise
from kdviz.experiments import compare as compare_exp
from kdviz.experiments import live as live_exp
from kdviz.experiments.dark_knowledge import omitted
from kdviz.experiments.protocol import Phase
from kdviz.paradigms import NOTES
from ui import jobs, results

SECTION = "Exercises: predict, then check"
FROM_RUN, FROM_VALUES = "From your run", "Computed for these values"


def section(*keys: str):
    """The expander every page's exercises (``keys``) sit in, below the main results so the main figure stays in
    view; open once the learner has committed to one of them, so the answer shows when the run ends."""
    return st.expander(SECTION, icon=":material/quiz:",
                       expanded=any(st.session_state.get(f"{k}.committed") is not None for k in keys))


def _shown(ex: Exercise, prediction) -> str:
    return f"{prediction:g}{ex.unit if ex.unit == '%' else ''}" if ex.number else str(prediction)


def predict_then_check(key: str, inputs: Callable[[], Any] | None, waiting: str, source: str = FROM_RUN,
                       choices: tuple[str, ...] = (), **values) -> None:
    """Exercise ``key`` of kdviz.exercises: the prediction widget, Commit, then the computed answer.

    ``inputs`` computes what the exercise's check needs (None while there is nothing to check yet: no finished
    run); ``waiting`` says what to do meanwhile; ``choices`` replaces the exercise's own (e.g. the methods a page
    trains); ``values`` fill the question's template.
    """
    ex = EXERCISES[key]
    committed_key = f"{key}.committed"
    options = tuple(choices or ex.choices)
    if not ex.number and st.session_state.get(key) not in (None, *options):  # the choices changed under it
        for k in (key, committed_key):
            st.session_state.pop(k, None)
    committed = st.session_state.get(committed_key)
    if ex.goal:
        st.markdown(f"**Challenge:** {ex.goal.format(**values)}.")
    label = ex.question.format(**values)
    if ex.number:
        lo, hi, step = ex.number
        prediction = st.columns([3, 2])[0].number_input(label, lo, hi, value=committed, step=step, key=key, format="%g",
                                                        disabled=committed is not None, placeholder="your prediction")
    else:  # once committed, the prediction stays shown (a new, disabled widget holding it)
        index = None if committed is None else options.index(committed)
        prediction = st.radio(label, options, index=index, key=key, disabled=committed is not None)
    if committed is None:
        st.button("Commit to my prediction", key=f"{key}.commit", disabled=prediction is None,
                  on_click=lambda: st.session_state.update({committed_key: st.session_state[key]}))
        st.caption(f"Commit first: {waiting}" if waiting else "Commit first; the answer appears here.")
        return
    if inputs is None:
        st.info(f"Your prediction: **{_shown(ex, committed)}**. {waiting}")
        return
    check = ex.run(committed, inputs())
    (st.success if check.correct else st.warning)(
        f"Your prediction: **{_shown(ex, committed)}**. {source}: **{check.answer}**. {check.why}")
    st.button("Predict again", key=f"{key}.again",
              on_click=lambda: [st.session_state.pop(k, None) for k in (committed_key, key)])


def finished(job_key: str, cfg, done: Callable[[Any], bool]) -> Any:
    """The snapshot of this session's run under ``job_key`` when it finished (``done(snap)``) with the page's
    current settings ``cfg``; None otherwise (no run, still running, or started with other settings).

    A Phase (a run still training its teachers, with nothing to draw yet) is never finished, so ``done`` is
    asked only of the experiment's own snapshots."""
    job = jobs.current(job_key)
    snap = job.snapshot() if job is not None else None
    if snap is None or isinstance(snap, Phase) or not done(snap) or results.started_with(job_key) not in (None, cfg):
        return None
    return snap


START = "press **Start** above; the answer appears when your run ends."


def temperature(logits, label: int, T: float) -> None:
    """The Temperature page's exercises, answered from the logits and T on the page."""
    with section("exercise.temp_mass", "exercise.temp_rank"):
        predict_then_check("exercise.temp_mass", lambda: (logits, label, T), "", FROM_VALUES, T=T)
        predict_then_check("exercise.temp_rank", lambda: logits, "", FROM_VALUES)


def gradients(sweep, gradient, limit: float, T: float) -> None:
    """The Gradients page's exercises, answered from the sweep and the gradient (N,) at T the page plots."""
    with section("exercise.grad_peak", "exercise.grad_limit"):
        predict_then_check("exercise.grad_peak", lambda: sweep, "", FROM_VALUES)
        predict_then_check("exercise.grad_limit", lambda: (gradient, limit, T), "", FROM_VALUES, T=T)


def live(cfg, job_key: str = "live") -> None:
    """Live training's exercises: the unseen class, and the smallest student reaching the recall goal."""
    with section("exercise.unseen", "exercise.live_goal"):
        if cfg.omit < 0:
            st.caption("These exercises need a class the students never see: set one in the settings above.")
            return
        snap = finished(job_key, cfg, lambda s: isinstance(s, live_exp.LiveSnapshot) and s.final is not None)
        summary = None if snap is None else (lambda: live_exp.summarise(snap, cfg.omit))
        predict_then_check("exercise.unseen", summary, START, omit=cfg.omit)
        st.divider()
        goal = None if snap is None else (lambda: (summary(), parse_widths(cfg.student), spec(cfg.dataset).classes))
        predict_then_check("exercise.live_goal", goal, START, omit=cfg.omit)


def dark_omitted(cfg, job_key: str, run_cfg) -> None:
    """The Omitted digit tab's exercise: how many of the unseen digit the distilled students recognise."""
    snap = finished(job_key, run_cfg, lambda s: s.done)
    inputs = None if snap is None else (lambda: (
        omitted.errors(snap.test_logits["kd"], snap.y_test, snap.omit).recall, snap.omit,
        int((snap.y_test == snap.omit).sum())))
    with section("exercise.dark_recall"):
        predict_then_check("exercise.dark_recall", inputs, START, omit=cfg.omit)


def dark_smoothing(cfg, job_key: str, run_cfg, eps: float) -> None:
    """The Label-smoothed teacher tab's exercise: a better or a worse teacher to distil from?"""
    snap = finished(job_key, run_cfg, lambda s: s.done)
    with section("exercise.dark_smoothed"):
        effect = None if snap is None else (lambda: omitted.smoothing_effect(snap, eps))
        predict_then_check("exercise.dark_smoothed", effect, START, omit=cfg.omit)


def compare(cfg, job_key: str = "compare") -> None:
    """Compare paradigms' exercises: the best method here, and the challenge of making KD lose."""
    methods = compare_exp.parse_methods(cfg.methods)
    snap = finished(job_key, cfg, lambda s: getattr(s, "final", None) is not None)
    rows = None if snap is None else (lambda: compare_exp.summarise(snap, cfg.omit))
    with section("exercise.compare_best", "exercise.compare_loses"):
        predict_then_check("exercise.compare_best", rows, START, choices=tuple(NOTES[m].name for m in methods))
        st.divider()
        if "kd" not in methods:
            st.caption(f"The challenge needs {NOTES['kd'].name} among the methods: add `kd` above.")
            return
        predict_then_check("exercise.compare_loses", rows, START)

