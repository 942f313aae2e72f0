"""A page draws the figures its exports write: for the same settings, each figure the page shows (its JSON, as
Streamlit sends it) equals the figure of the same title that kdviz.exports builds for that run.

Live and Compare train a short run through their Start button; Beyond, Market (and its transfer section) and
Claims on trial draw a stored result of a run (kdviz.experiments.cache), the page's path on a first load.
"""
import base64
import json
import time

import numpy as np
import plotly.io
import pytest

from kdviz import exports
from kdviz.experiments import beyond, cache, claims, compare, live, market
from kdviz.experiments.findings import Finding, Panel
from kdviz.experiments.market import transfer
from kdviz.experiments.protocol import last
from kdviz.figures import FIGURES, figures_of


def values(spec):
    """A figure's JSON with Plotly's typed arrays ({"dtype", "bdata"}: base64, little-endian) as plain lists: a figure
    kept and updated in place holds lists where a fresh one holds arrays, and both draw the same values."""
    if isinstance(spec, dict) and set(spec) >= {"dtype", "bdata"}:
        data = np.frombuffer(base64.b64decode(spec["bdata"]), dtype=np.dtype(spec["dtype"]).newbyteorder("<"))
        shape = [int(n) for n in str(spec.get("shape", len(data))).split(",")]  # Plotly writes "rows, columns"
        return data.reshape(shape).tolist()
    if isinstance(spec, dict):
        return {k: values(v) for k, v in spec.items()}
    if isinstance(spec, list):
        return [values(v) for v in spec]
    return spec


def page_charts(at) -> dict[str, dict]:
    """{element key: figure JSON as a dict, typed arrays as lists} of every Plotly chart the AppTest page drew."""
    return {c.key: values(json.loads(c.proto.spec)) for c in at.get("plotly_chart")}


def exported(name: str, cfg, snap) -> dict[str, dict]:
    """{title: figure JSON as a dict} of the run's exported figures, serialised as Streamlit serialises a chart."""
    return {title: values(json.loads(plotly.io.to_json(fig, validate=False)))
            for title, fig in exports.figures(name, cfg, snap).items()}


def finished(at, key: str, timeout: float = 180):
    """Join the page's job under ``key`` (bounded), rerun the page, and return the job's final snapshot."""
    job = at.session_state[f"_job.{key}"]
    deadline = time.monotonic() + timeout
    while not job.done and time.monotonic() < deadline:
        job.wait(1)
    assert job.state == "done", job.error
    at.run()
    assert not at.exception
    return job.snapshot()


def assert_same(page: dict[str, dict], files: dict[str, dict], pairs: dict[str, str]) -> None:
    """Each chart key of ``pairs`` shows the exported figure of its title, and every exported figure is drawn."""
    assert set(pairs.values()) == set(files), "the exports write a figure the page does not draw, or miss one"
    for key, title in pairs.items():
        assert page[key] == files[title], f"the page's {key!r} is not the exported {title!r}"


def test_every_experiment_has_its_pages_figures_and_an_unknown_name_is_refused():
    from kdviz.experiments import EXPERIMENTS

    assert set(FIGURES) == set(EXPERIMENTS)
    with pytest.raises(ValueError, match="unknown experiment .nope.; choose one of "):
        figures_of("nope")


def test_live_draws_what_it_exports(page_test):
    at = page_test("app_pages/live.py", steps="100", seeds="2", n="600")
    at.button(key="start").click().run()
    snap = finished(at, "live")
    cfg = live.LiveConfig(steps=100, seeds=2, n=600)
    assert snap.replay is not None and len(snap.replay.steps) > 2  # the page opens on the replay's last frame
    assert_same(page_charts(at), exported("live", cfg, snap), {"regions": "decision regions", "curves": "learning curves"})


def test_compare_draws_what_it_exports_over_two_rows_of_regions(page_test):
    methods = "kd,dkd,fitnet,similarity"  # with the teacher and the baseline: six panels, two rows; five methods
    at = page_test("app_pages/compare.py", methods=methods, steps="50", seeds="2")
    at.button(key="start").click().run()
    snap = finished(at, "compare")
    cfg = compare.CompareConfig(methods=methods, steps=50, seeds=2)
    files = exported("compare", cfg, snap)
    curves = [t for t in files["learning curves"]["data"] if t.get("xaxis", "x") == "x"]
    assert len(curves) == 4  # at most four lines per curve chart, the page's default choice
    assert_same(page_charts(at), files, {"regions0": "decision regions 1 of 2", "regions4": "decision regions 2 of 2",
                                         "curves": "learning curves", "seeds": "accuracy per seed"})


def stored(page_test, path: str, name: str, cfg, snap, **query):
    """The page at ``path`` opened on the stored result of ``name`` with ``cfg`` (query: the page's link)."""
    cache.store(name, cfg, snap)
    at = page_test(path, **query)
    assert not at.exception
    return at


@pytest.fixture(scope="module")
def beyond_run():
    cfg = beyond.BeyondConfig(steps=50, seeds=2, generations=1)
    return cfg, last(beyond.run(cfg))


def test_beyond_draws_what_it_exports_for_a_stored_run(page_test, beyond_run):
    cfg, snap = beyond_run
    at = stored(page_test, "app_pages/beyond.py", "beyond", cfg, snap, steps="50", seeds="2", generations="1")
    decay = snap.results["ema"].decays[-1]  # the EMA tab opens on the last decay
    files = exported("beyond", cfg, snap)
    shown = {"disagree": "teachers disagree", "rules": "combination rules", "multi_acc": "several teachers accuracy",
             "mutual_acc": "mutual learning accuracy", "mutual_agree": "mutual learning agreement",
             "ema_lag": "ema distance", "ema_acc": f"ema accuracy decay {decay:g}", "ban": "born-again accuracy"}
    page = page_charts(at)
    for key, title in shown.items():
        assert page[key] == files[title], key
    assert set(files) - set(shown.values()) == {f"ema accuracy decay {d:g}" for d in snap.results["ema"].decays[:-1]}


def test_market_and_its_transfer_draw_what_they_export_for_stored_runs(page_test):
    cfg = market.MarketConfig(days=600, steps=100, seeds=1, members=2)
    tcfg = transfer.TransferConfig(steps=50, seeds=1)
    snap, tsnap = last(market.run(cfg)), last(transfer.run(tcfg))
    cache.store("market_transfer", tcfg, tsnap)
    at = stored(page_test, "app_pages/market.py", "market", cfg, snap, days="600", steps="100", seeds="1",
                members="2", **{"tr.steps": "50", "tr.seeds": "1"})
    page = page_charts(at)
    assert_same(page, exported("market", cfg, snap), {k: k for k in ("accuracy", "latency", "calibration", "equity")})
    assert_same(page, exported("market_transfer", tcfg, tsnap), {"transfer": "transfer"})


def test_a_claim_tab_draws_what_it_exports_for_a_stored_finding(page_test):
    cfg = claims.ClaimsConfig()  # the first tab, at its defaults
    panels = [Panel("errors per model", "model", "test errors", ["teacher", "student"],
                    {"errors": np.array([[10.0, 30.0], [12.0, 28.0]])}),
              Panel("accuracy against T", "T", "test accuracy", [1.0, 4.0, 16.0],
                    {"KD student": np.array([[0.8, 0.85, 0.83], [0.81, 0.86, 0.82]])}, log_x=True, percent=True)]
    finding = Finding("hinton", panels, [], ["A note computed from the run."])
    at = stored(page_test, "app_pages/claims.py", "claims", cfg, finding)
    assert_same(page_charts(at), exported("claims", cfg, finding), {f"claims_{cfg.claim}_fig{i}": p.title
                                                                    for i, p in enumerate(panels)})
