"""Predict, then check: an exercise block at the end of a page. The learner commits to a prediction, runs,
and the answer computed from that run appears below, with an explanation."""
from __future__ import annotations

import streamlit as st

from kdviz import exercises
from kdviz.experiments import live
from ui import jobs


def unseen_class(cfg: live.LiveConfig, job_key: str = "live") -> None:
    """Live training's exercise: which student will recognise the class it never sees?"""
    key = "exercise.unseen"
    st.subheader("Exercise: predict, then check")
    if cfg.omit < 0:
        st.caption("This exercise needs a class the students never see: set one in the settings above.")
        return
    committed = st.session_state.get(f"{key}.committed")
    choice = st.radio(f"Which student will recognise class {cfg.omit}, which no student ever sees, better?",
                      exercises.UNSEEN_CHOICES, index=None, key=key, disabled=committed is not None)
    if committed is None:
        st.button("Commit to my prediction", key=f"{key}.commit", disabled=choice is None,
                  on_click=lambda: st.session_state.update({f"{key}.committed": st.session_state[key]}))
        st.caption("Commit first, then press **Start** above: the answer comes from your run.")
        return
    job = jobs.current(job_key)
    snap = job.snapshot() if job is not None else None
    if not isinstance(snap, live.LiveSnapshot) or snap.final is None:
        st.info(f"Your prediction: **{committed}**. Press **Start** above; the answer appears when the run ends.")
        return
    answer, why = exercises.unseen_class(live.summarise(snap, cfg.omit))
    (st.success if answer == committed else st.warning)(
        f"Your prediction: **{committed}**. From your run: **{answer}**. {why}")
    st.button("Predict again", key=f"{key}.again", on_click=lambda: [st.session_state.pop(k, None)
                                                                      for k in (f"{key}.committed", key)])
