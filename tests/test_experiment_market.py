"""The market experiments: ensemble teacher, checkpointing, paired students, numbers, upload and transfer."""
import dataclasses
import io

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from kdviz import metrics
from kdviz.config import parse_widths
from kdviz.data.market import build_market_dataset
from kdviz.experiments import market as L
from kdviz.experiments.market import transfer as X
from kdviz.experiments.market.models import EnsemblePredictor, StudentPredictor, ensemble_logits, paired_members
from kdviz.experiments.protocol import Phase, last
from kdviz.experiments.stats import paired
from kdviz.trading.latency import measure_latency
from kdviz.trading.prices import synthetic_prices
from kdviz.models import MLP, Population
from kdviz.train import MemberConfig, PopulationRun, train_checkpointed

SMALL = dict(days=800, members=2, teacher="16", steps=100, seeds=2)


def run_task(cfg, prices=None):
    return list(L.run(cfg, prices=prices))


def test_ensemble_logits_are_the_log_of_the_averaged_member_probabilities():
    pop = Population((3, 8, 2), [1, 2, 3])
    x = torch.randn(20, 3)
    oracle = torch.stack([F.softmax(pop.member(k)(x), -1) for k in range(3)]).mean(0)  # (N, C)
    z = ensemble_logits(pop, x)
    assert torch.allclose(F.softmax(z, -1), oracle, atol=1e-6)
    assert torch.allclose(EnsemblePredictor(pop)(x), oracle, atol=1e-6)


def test_checkpointing_keeps_each_members_best_validation_weights():
    ds = L.build_data(L.MarketConfig(days=800))
    run = PopulationRun(ds, None, (32,), [MemberConfig("baseline", lr=3e-2, seed=s) for s in range(3)], record_every=25)
    seen = []
    for _ in range(12):  # the same chunks train_checkpointed takes, scored by hand
        run.step(25)
        seen.append(run.evaluate("val")["accuracy"])
    best = np.max(seen, axis=0)  # (K,) the best validation accuracy each member reached at a check
    again = PopulationRun(ds, None, (32,), [MemberConfig("baseline", lr=3e-2, seed=s) for s in range(3)], record_every=25)
    pop = train_checkpointed(again, 300, 25, (ds.x_val, ds.y_val))
    got = metrics.accuracy(pop(ds.x_val), ds.y_val).numpy()  # (K,)
    np.testing.assert_allclose(got, best, atol=1e-6)
    np.testing.assert_allclose(pop.info["val_accuracy"], best, atol=1e-6)
    assert pop.info["steps_run"] == 300 and np.all(pop.info["best_step"] % 25 == 0)


def test_paired_students_share_seeds_and_alternate_kd_and_baseline():
    members = paired_members(3, T=2.0, alpha=0.1, lr=1e-2, seed=7)
    assert [m.method for m in members] == ["kd", "baseline"] * 3
    assert all(members[i].seed == members[i + 1].seed for i in range(0, 6, 2))
    assert len({m.seed for m in members}) == 3


def test_bad_settings_raise_clear_messages():
    with pytest.raises(ValueError, match="at least one feature"):
        L.validate(L.MarketConfig(lags=0, trend=False, volatility=False, volume=False))
    with pytest.raises(ValueError, match="hidden layer widths: 'four' is not a whole number"):
        L.validate(L.MarketConfig(student="four"))
    with pytest.raises(ValueError, match="upload"):
        L.build_data(L.MarketConfig(source="upload"))
    with pytest.raises(ValueError, match="months"):
        X.parse_months("5")


@pytest.mark.parametrize("text, message", [
    ("Day,Price\n2020-01-01,1\n", "Missing column Date and Close"),
    ("Date,Close\n2020-01-01,abc\n", "is not a number"),
    ("", "empty"),
])
def test_a_malformed_upload_names_its_problem(text, message):
    with pytest.raises(ValueError, match=message):
        L.read_upload(text.encode(), L.MarketConfig(source="upload"))


def test_an_uploaded_csv_trains_like_the_same_prices_built_directly():
    frame = synthetic_prices(700, 0.4, seed=3)
    buf = io.StringIO()
    frame[["Date", "Close", "Volume"]].to_csv(buf, index=False)
    cfg = L.MarketConfig(source="upload", **SMALL)
    parsed = L.read_upload(buf.getvalue().encode(), cfg)
    ds = L.build_data(cfg, L.frame_to_config(parsed))
    direct = build_market_dataset(frame, features=L.feature_config(cfg))
    assert torch.allclose(ds.x_train, direct.x_train) and torch.equal(ds.y_test, direct.y_test)
    final = run_task(cfg, L.frame_to_config(parsed))[-1].result
    assert final.n_test == len(direct.y_test)


def test_reliability_bins_agree_with_the_ece_of_metrics():
    g = torch.Generator().manual_seed(0)
    z, y = torch.randn(300, 3, generator=g) * 2, torch.randint(0, 3, (300,), generator=g)
    conf, acc, count = L.reliability(z, y)
    assert count.sum() == 300
    keep = count > 0
    ece = float(np.sum(count[keep] / 300 * np.abs(acc[keep] - conf[keep])))
    assert ece == pytest.approx(float(metrics.ece(z, y)), abs=1e-6)


def test_the_task_reports_every_number_and_is_reproducible():
    cfg = L.MarketConfig(**SMALL)
    snaps = run_task(cfg)
    assert isinstance(snaps[0], Phase) and snaps[0].name == "teacher" and snaps[-1].result is not None
    progress = [s.progress for s in snaps]
    assert progress == sorted(progress) and progress[-1] == 1.0
    f = snaps[-1].result
    assert set(f.models) == {"teacher", "kd", "baseline", "logistic", "majority"}
    assert f.models["kd"]["accuracy"].shape == (2,)
    assert float(f.models["teacher"]["fidelity"]) == 1.0
    assert all(u > 0 for us in f.latency.values() for u in us)
    for bt in f.backtest.values():
        assert bt["equity"][0] == 1.0 and len(bt["equity"]) == f.n_test + 1
    lines = L.verdict(f)
    assert len(lines) == 4 and f"{f.models['kd']['accuracy'].mean():.1%}" in lines[0]
    again = run_task(cfg)[-1].result
    np.testing.assert_array_equal(again.models["kd"]["accuracy"], f.models["kd"]["accuracy"])
    np.testing.assert_array_equal(again.backtest["kd"]["equity"], f.backtest["kd"]["equity"])


def test_the_student_is_faster_than_the_teacher_at_the_default_sizes():
    cfg = L.MarketConfig()
    d = L.build_data(cfg).n_features
    teacher = EnsemblePredictor(Population((d, *parse_widths(cfg.teacher), 2), list(range(cfg.members))))
    student = StudentPredictor(MLP((d, *parse_widths(cfg.student), 2), seed=0))
    x = torch.randn(64, d)
    t = measure_latency(teacher, x, L.LATENCY_BATCHES, repeats=30)
    s = measure_latency(student, x, L.LATENCY_BATCHES, repeats=30)
    for a, b in zip(t, s):
        assert a.us_per_prediction > 0 and b.us_per_prediction > 0
        assert b.us_per_prediction < a.us_per_prediction


def test_the_paired_effect_by_hand():
    e = paired([0.5, 0.5], [0.6, 0.7])
    assert (e.mean, e.sd, e.clear) == pytest.approx((0.15, np.std([0.1, 0.2], ddof=1), True))
    assert paired([0.5, 0.5], [0.6, 0.4]).clear is False and np.isnan(paired([0.5], [0.6]).sd)


def test_nasdaq_history_has_the_asked_length_and_a_purge_gap():
    mean, std = np.zeros(13), np.ones(13)
    ds = X.nasdaq_data(3, mean, std)
    assert len(ds.y_train) == 3 * X.DAYS_PER_MONTH
    gap = np.busday_count(ds.info["dates_train"][-1].astype("datetime64[D]"),
                          ds.info["dates_test"][0].astype("datetime64[D]"))
    assert gap > 60  # horizon 1 + lookback 60 trading days between the last train day and the test period
    assert ds.info["dates_test"][0] >= np.datetime64("2017-01-01")


def test_transfer_task_gives_one_row_per_history_length():
    snap = last(X.run(X.TransferConfig(months="1, 6", steps=50, seeds=2)))
    rows = snap.rows
    assert [r.months for r in rows] == [1, 6] and snap.progress == 1.0
    assert rows[0].kd.shape == (2,) and 0.3 < rows[0].majority < 0.7
    assert len(X.verdict(rows)) == 3 and X.verdict(rows)[0].startswith("1 month (")


def test_students_whose_loss_explodes_are_flagged_and_not_judged():
    from kdviz.experiments.protocol import last

    cfg = L.MarketConfig(**SMALL)
    assert last(L.run(cfg)).result.failed == []
    r = last(L.run(dataclasses.replace(cfg, lr=1e3))).result  # a huge learning rate
    assert len(r.failed) >= 2 and any(line.startswith("KD student, seed") for line in r.failed)
    acc_line = L.verdict(r)[0]
    assert "Not judged" in acc_line and "lower the learning rate" in acc_line and "within the seed spread" not in acc_line


def test_transfer_students_whose_loss_explodes_are_flagged_and_not_judged(monkeypatch):
    cfg = X.TransferConfig(months="1", steps=50, seeds=2)
    assert last(X.run(cfg)).rows[0].failed == []
    real = X.paired_members
    monkeypatch.setattr(X, "paired_members", lambda *a: [dataclasses.replace(m, lr=1e3) for m in real(*a)])
    (row,) = last(X.run(cfg)).rows
    assert len(row.failed) >= 2 and all(" student, seed " in line for line in row.failed)
    first = X.verdict([row])[0]
    assert "Not judged" in first and "within the seed spread" not in first
