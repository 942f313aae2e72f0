"""Market: distil an ensemble that predicts the market's direction into a tiny, low-latency student."""
import streamlit as st

from kdviz.lessons import live as LV
from kdviz.lessons import market as L
from kdviz.lessons import market_transfer as X
from kdviz.plots import market as P
from kdviz.plots.training import learning_curves
from ui import jobs
from ui.messages import stop_with_error
from ui.state import bind, collect, widget_key

K, JOB, TJOB = "market", "market", "market_transfer"
UPLOAD_STATE = "market.csv_bytes"  # uploaded bytes (tests put a file's bytes here: AppTest has no file uploader)
st.title("Market: a low-latency student")
st.markdown(
    "A **teacher ensemble** (several MLPs, probabilities averaged) predicts whether the market closes higher "
    "tomorrow from past-only features. A **tiny student** learns from the ensemble's averaged probabilities "
    "(KD); the **same student without KD** learns from the labels alone. Every model is checkpointed on a "
    "validation period and judged on a later test period, beside the **majority class** and **logistic "
    "regression**. The real indexes are hard: in our runs no model beats the majority class on the S&P 500 "
    "or NASDAQ beyond noise, so the default is a synthetic market with a known, learnable signal.")
st.caption("Nothing on this page is investment advice: the backtest is an illustration of the models' signals.")

bind(L.MarketConfig, K)
w = lambda name: widget_key(K, name)  # noqa: E731
with st.expander("Settings", expanded=jobs.current(JOB) is None):
    c1, c2, c3, c4 = st.columns(4)
    c1.selectbox("Data", list(L.SOURCES), format_func=L.SOURCES.get, key=w("source"))
    c1.slider("Synthetic signal strength", 0.0, 0.9, step=0.05, key=w("signal"),
              help="0: a random walk; higher: yesterday's move foretells more of today's.")
    c1.number_input("Synthetic trading days", 500, 10000, step=250, key=w("days"))
    c2.number_input("Horizon (days ahead)", 1, 20, key=w("horizon"))
    c2.number_input("Daily return lags", 0, 10, key=w("lags"))
    c2.checkbox("Trend (momentum, moving averages)", key=w("trend"))
    c2.checkbox("Volatility", key=w("volatility"))
    c2.checkbox("Volume", key=w("volume"))
    c3.number_input("Teacher ensemble members", 2, 8, key=w("members"))
    c3.text_input("Teacher hidden widths", key=w("teacher"))
    c3.text_input("Student hidden widths", key=w("student"))
    c3.number_input("Student steps", 100, 5000, step=100, key=w("steps"))
    c4.select_slider("Temperature T", options=L.T_CHOICES, key=w("T"))
    c4.slider("alpha (weight of hard labels)", 0.0, 1.0, step=0.05, key=w("alpha"))
    c4.number_input("Seeds (paired students)", 1, 5, key=w("seeds"))
    c4.number_input("Cost per trade (basis points)", 0.0, 50.0, step=0.5, key=w("cost_bps"))
    c4.number_input("Seed", 0, 9999, key=w("seed"))
cfg = collect(L.MarketConfig, K, L.validate)

prices = None
if cfg.source == "upload":
    up = st.file_uploader("Daily prices (CSV with Date and Close columns, optional Volume)", type=["csv", "txt"],
                          key="market_upload")
    if up is not None:
        st.session_state[UPLOAD_STATE] = up.getvalue()
    data = st.session_state.get(UPLOAD_STATE)
    if data is None:
        st.info("Upload a CSV to train on your own prices.")
        st.stop()
    try:
        frame = L.read_upload(data, cfg)
    except ValueError as err:
        stop_with_error(f"The uploaded file cannot be used: {err}")
    for note in frame.attrs.get("notes", []):
        st.caption(note)
    prices = L.frame_to_config(frame)

jobs.start_reset(JOB, lambda: L.task(cfg, prices), start_label="Train")


def draw(job, snap) -> None:
    """Progress while training; at the end, the verdict and the figures."""
    if job is None:
        st.info("Press **Train**: the teacher ensemble, then the students (a few seconds at the defaults).")
        return
    jobs.show_status(job)
    if job.state != "done":
        st.progress(job.progress)
    if not snap or snap.get("phase") == "teacher":
        st.caption("Training the teacher ensemble…")
        return
    steps, series = LV.curves(snap)
    if "final" not in snap:
        st.plotly_chart(learning_curves(steps, series), width="stretch", key="curves")
        return
    result(snap["final"])


def result(f: dict) -> None:
    """The final numbers in words and figures (every sentence computed from f)."""
    st.subheader("Result")
    for line in L.verdict(f):
        st.markdown(f"- {line}")
    if f.get("ceiling"):
        st.caption(f"The synthetic market's best possible next-day accuracy is {f['ceiling']:.1%}.")
    st.caption(f"Test period {f['period'][0]} to {f['period'][1]}: {f['n_test']} days, "
               f"{f['test_up_share']:.0%} of them up; {f['n_train']} training days.")
    st.plotly_chart(P.accuracy_bars(f["models"]), width="stretch", key="accuracy")
    a, b = st.columns(2)
    a.plotly_chart(P.latency_chart(f["latency"], f["latency_batches"], f["params"]), width="stretch", key="latency")
    b.plotly_chart(P.reliability_chart(f["reliability"]), width="stretch", key="calibration")
    st.plotly_chart(P.equity_chart(f["dates"], f["backtest"]), width="stretch", key="equity")
    st.caption("Backtest: long at the close when a model says up, flat otherwise, paying the cost on every change; "
               "the students shown are seed 0. An illustration of the signals on past data, not advice.")


jobs.live_view(JOB, draw)

st.divider()
st.header("Cross-market transfer: S&P 500 teacher, NASDAQ student")
st.markdown(
    "The teacher ensemble learns on the S&P 500 up to mid-2016. A student sees only the last few months of "
    "NASDAQ before 2017, with or without the teacher's soft targets, and is tested on NASDAQ 2017-2018. "
    "Students train a fixed number of steps (a few months leave no room for a validation period).")
t1, t2, t3, t4 = st.columns(4)
months = t1.text_input("History lengths (months)", X.TransferConfig.months, key="tr.months",
                       help=f"Up to 6 of {', '.join(map(str, X.MONTH_CHOICES))}")
t_seeds = t2.number_input("Seeds", 1, 5, X.TransferConfig.seeds, key="tr.seeds")
t_steps = t3.number_input("Student steps", 50, 2000, X.TransferConfig.steps, step=50, key="tr.steps")
try:
    tcfg = X.TransferConfig(months=X.canonical_months(months), seeds=int(t_seeds), steps=int(t_steps),
                            student=cfg.student, T=cfg.T, alpha=cfg.alpha, seed=cfg.seed)
except ValueError as err:
    stop_with_error(str(err))
tjob = jobs.current(TJOB)
if t4.button("Run transfer", key="start_transfer", disabled=tjob is not None and not tjob.done,
             icon=":material/play_arrow:"):
    jobs.start(TJOB, X.task(tcfg))
    st.rerun()


def draw_transfer(job, snap) -> None:
    """The transfer curve as history lengths finish, and its verdict."""
    if job is None:
        st.caption("Uses the student, T and alpha of the settings above.")
        return
    jobs.show_status(job)
    rows = (snap or {}).get("rows") or []
    if rows:
        st.plotly_chart(P.transfer_chart(rows), width="stretch", key="transfer")
    if job.state == "done" and rows:
        for line in X.verdict(rows):
            st.markdown(f"- {line}")


jobs.live_view(TJOB, draw_transfer)
