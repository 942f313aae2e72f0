"""Compare paradigms and Beyond one teacher: configs, job tasks and summaries, without Streamlit."""
import dataclasses

import numpy as np
import pytest

from kdviz.lessons import paradigms as P
from kdviz.lessons import teachers as L


class Go:
    def proceed(self):
        return True


def test_parse_methods_keeps_order_and_rejects_unknown_names():
    assert P.parse_methods("kd, dkd kd") == ("kd", "dkd")
    with pytest.raises(ValueError, match="unknown method 'foo'"):
        P.parse_methods("kd,foo")
    with pytest.raises(ValueError, match="at least one"):
        P.parse_methods(" , ")
    with pytest.raises(ValueError, match="leaves one class"):
        P.validate(P.CompareConfig(dataset="moons", omit=0))


def _snap(acc, methods=("baseline", "kd", "dkd"), seeds=3):
    k = len(methods) * seeds
    return {"final": {"accuracy": np.asarray(acc, float), "fidelity": np.ones(k), "kl_to_teacher": np.zeros(k),
                      "recall": np.zeros((k, 5))},
            "seeds": seeds, "methods": list(methods), "ms_per_step": {m: 1.0 for m in methods}, "status": ["ok"] * k}


def test_verdicts_compare_the_paired_gain_with_its_seed_spread():
    rows = P.summarise(_snap([.70, .72, .71, .80, .81, .80, .69, .75, .70]), omit=3)
    assert [r.verdict for r in rows] == ["reference", "better", "within noise"]
    np.testing.assert_allclose(rows[1].gain, [.10, .09, .09])
    assert "KD (Hinton)" in P.takeaway(rows) and "No difference" in P.takeaway(rows)
    worse = P.summarise(_snap([.7, .7, .7, .6, .61, .6, .7, .7, .7]), omit=-1)
    assert worse[1].verdict == "worse" and worse[1].recall_omitted is None


def test_compare_job_trains_every_method_and_reports_them():
    snaps = []
    cfg = P.CompareConfig(methods="kd,mutual,born_again,multi_teacher", steps=60, seeds=2)
    P.train_compare(dataclasses.asdict(cfg), snaps.append, Go())
    last = snaps[-1]
    assert last["methods"] == ["baseline", "kd", "mutual", "born_again", "multi_teacher"]
    assert last["grids"].shape == (5, P.GRID, P.GRID, 5) and last["progress"] == 1.0
    rows = P.summarise(last, cfg.omit)
    assert len(P.table(rows)) == 5 and all(r.ms_per_step > 0 for r in rows)
    # the baseline never sees class 3, so it never predicts it; KD students may
    assert rows[0].recall_omitted == 0.0
    transfers, formula, fn = P.method_info("ema")
    assert "average" in transfers and fn == "kdviz.losses.ema.consistency_loss"


def test_compare_job_stops_when_asked():
    class Stop:
        def proceed(self):
            return False
    snaps = []
    P.train_compare(dataclasses.asdict(P.CompareConfig(methods="kd", steps=60, seeds=2)), snaps.append, Stop())
    assert all("final" not in s for s in snaps)


def test_beyond_job_fills_the_four_topics():
    snaps = []
    cfg = L.BeyondConfig(steps=60, seeds=2, generations=2)
    L.train_beyond(dataclasses.asdict(cfg), snaps.append, Go())
    s = snaps[-1]
    assert all(t in s for t in L.TOPICS)
    m = s["multi"]
    assert m["acc"].shape == (5, 2) and 0.0 <= m["frac_disagree"] <= 1.0
    for g in m["rule_grids"].values():
        np.testing.assert_allclose(g.sum(-1), 1.0, atol=1e-5)
    assert s["mutual"]["agreement"].shape == (2, 2) and np.all(s["mutual"]["agreement"] <= 1.0)
    e = s["ema"]
    assert e["student_acc"].shape[:2] == (len(L.DECAYS), 2)
    d = e["distance"][:, :, -1].mean(1)
    assert d[0] < d[-1]  # a slower EMA lags further behind its student
    assert s["born_again"]["acc"].shape == (3, 2)


def test_agreement_and_verdict_by_hand():
    z = np.zeros((3, 4, 2))
    z[0, :, 0] = z[1, :, 0] = 1  # members 0 and 1 predict class 0 everywhere
    z[2, :2, 0] = 1
    z[2, 2:, 1] = 1  # member 2 agrees on half
    np.testing.assert_allclose(L._agreement(z), [0.75, 0.75, 0.5])
    assert "within the seed spread" in L.paired_verdict(np.array([.5, .6]), np.array([.6, .5]), "x")
    assert "same sign" in L.paired_verdict(np.array([.5, .6]), np.array([.61, .7]), "x")
