"""Market: distil an ensemble that predicts the market's direction into a tiny, low-latency student."""
import streamlit as st

from kdviz.experiments import market
from kdviz.experiments.market import transfer
from kdviz.experiments.task import job as experiment_job
from kdviz.figures import market as market_figures
from kdviz.plots import market as market_plots
from ui import exports, guide, jobs, results
from ui.controls import settings
from ui.intro import about
from ui.messages import stop_with_error
from ui.sidebar import device_name

KEY, JOB, TRANSFER = "market", "market", "market_transfer"
UPLOAD_STATE = "market.csv_bytes"  # uploaded bytes (tests put a file's bytes here: AppTest has no file uploader)
FROM_WIDGET = "market.csv_from_uploader"  # set while the bytes come from the uploader, so removing the file drops them
st.title("Market: a low-latency student")
about("A **teacher ensemble** predicting tomorrow's direction, distilled into a **tiny student**, beside the "
      "**baseline**, the **majority class** and **logistic regression**. Not investment advice.",
      "A **teacher ensemble** (several MLPs, probabilities averaged) predicts whether the market closes higher "
      "tomorrow from past-only features. A **tiny student** learns from the ensemble's averaged probabilities "
      "(KD); the **baseline**, the same student without KD, learns from the labels alone. Every model is "
      "checkpointed on a validation period and judged on a later test period, beside the **majority class** and "
      "**logistic regression**. A day ahead, the real indexes are hard to predict, so the default is a synthetic "
      "market with a known, learnable signal; on the S&P 500 or NASDAQ the run's own sentence says whether any "
      "model beats the majority class beyond noise.\n\n"
      "Nothing on this page is investment advice: the backtest is an illustration of the models' signals.")
guide.notice("market")

cfg = settings(market.MarketConfig, KEY, [("source", "signal", "days"), ("horizon", "lags", "trend", "volatility", "volume"),
                                          ("members", "teacher", "student", "steps", "lr"),
                                          ("T", "alpha", "seeds", "cost_bps", "seed")],
               expanded=False, validate=market.validate)

prices = None
if cfg.source == "upload":
    up = st.file_uploader("Daily prices (CSV with Date and Close columns, optional Volume)", type=["csv", "txt"],
                          key="market_upload")
    if up is not None:
        st.session_state[UPLOAD_STATE] = up.getvalue()
        st.session_state[FROM_WIDGET] = True
    elif st.session_state.pop(FROM_WIDGET, False):  # the file was removed, or the uploader was hidden and reset
        st.session_state.pop(UPLOAD_STATE, None)
    data = st.session_state.get(UPLOAD_STATE)
    if data is None:
        st.info("Upload a CSV to train on your own prices.")
        st.stop()
    try:
        frame = market.read_upload(data, cfg)
    except ValueError as err:
        stop_with_error(f"The uploaded file cannot be used: {err}")
    for note in frame.attrs.get("notes", []):
        st.caption(note)
    prices = market.frame_to_config(frame)

jobs.controls(JOB, results.task(JOB, cfg, lambda: experiment_job("market", cfg, device=device_name(), prices=prices)))


def draw(job, snap) -> None:
    """Progress while training; at the end, the verdict and the figures."""
    snap = jobs.header(job, snap, "Press **Start**: the teacher ensemble, then the students (a few seconds at the "
                                  "defaults).")
    if snap is None:
        return
    if snap.result is None:
        jobs.chart(JOB, "curves", job, market_figures.figures(cfg, snap)["learning curves"])
        return
    result(job, snap)
    exports.menu("market", cfg, snap, KEY)


def result(job, snap: market.MarketSnapshot) -> None:
    """The final numbers in words and figures (every sentence computed from the run's result)."""
    r, made = snap.result, market_figures.figures(cfg, snap)
    st.subheader("Result")
    jobs.chart(JOB, "accuracy", job, made["accuracy"])  # the main figure first
    for line in market.verdict(r):
        st.markdown(f"- {line}")
    if r.ceiling:
        st.caption(f"The synthetic market's best possible next-day accuracy is {r.ceiling:.1%}.")
    st.caption(f"Test period {r.period[0]} to {r.period[1]}: {r.n_test} days, "
               f"{r.test_up_share:.0%} of them up; {r.n_train} training days.")
    a, b = st.columns(2)
    jobs.chart(JOB, "latency", job, made["latency"], where=a)
    jobs.chart(JOB, "calibration", job, made["calibration"], where=b)
    lines = st.multiselect("Lines on the equity chart", list(r.backtest), key="market.equity_lines",
                           default=market_plots.equity_lines(r.backtest), max_selections=market_plots.MAX_EQUITY_LINES,
                           format_func=market_plots.NAMES.get)
    jobs.chart(JOB, "equity", job, market_figures.figures(cfg, snap, lines)["equity"], variant=tuple(lines))
    st.caption("Backtest: long at the close when a model says up, flat otherwise, paying the cost on every change; "
               "the students shown are seed 0. An illustration of the signals on past data, not advice.")


if prices is None:
    results.view(JOB, "market", cfg, draw)
else:
    with results.freshness(JOB, cfg):
        jobs.live_view(JOB, draw)

st.divider()
st.header("Cross-market transfer: S&P 500 teacher, NASDAQ student")
st.markdown(
    "The teacher ensemble learns on the S&P 500 up to mid-2016. A student sees only the last few months of "
    "NASDAQ before 2017, with or without the teacher's soft targets, and is tested on NASDAQ 2017-2018. "
    "Students train a fixed number of steps (a few months leave no room for a validation period).")
tcfg = settings(transfer.TransferConfig, "tr", [("months", "student"), ("T", "alpha"), ("steps", "seeds", "seed")],
                query_prefix="tr", title=None, validate=transfer.validate)
jobs.controls(TRANSFER, results.task(TRANSFER, tcfg, lambda: experiment_job("market_transfer", tcfg, device=device_name())),
              prefix="transfer_")


def draw_transfer(job, snap) -> None:
    """The transfer curve as history lengths finish, and its verdict."""
    snap = jobs.header(job, snap, "Press **Start** above to train the transfer students.")
    if snap is None:
        return
    if snap.rows:
        jobs.chart(TRANSFER, "transfer", job, market_figures.transfer(tcfg, snap)["transfer"])
    if job.state == "done" and snap.rows:
        for line in transfer.verdict(snap.rows):
            st.markdown(f"- {line}")


results.view(TRANSFER, "market_transfer", tcfg, draw_transfer)
