"""Backtest arithmetic (hand-computed), latency measurement, and the majority / logistic baselines."""
import math
import statistics

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression

from kdviz.data import make_dataset
from kdviz.trading.prices import ceiling_accuracy
from kdviz.data.registry import Dataset
from kdviz.device import available_devices
from kdviz.trading.backtest import backtest, performance
from kdviz.baselines import logistic_baseline, majority_baseline
from kdviz.trading.latency import measure_latency


# ---------------------------------------------------------------- backtest
def test_backtest_by_hand():
    r = [0.10, -0.05, 0.20, 0.10]
    bt = backtest([True, True, False, True], r, cost_bps=10)
    s = bt.strategy
    # changes 1,0,1,1 at 10 bp: returns 0.099, -0.05, -0.001, 0.099
    np.testing.assert_allclose(s.returns, [0.099, -0.05, -0.001, 0.099])
    np.testing.assert_allclose(s.equity, [1, 1.099, 1.04405, 1.04300595, 1.04300595 * 1.099])
    assert s.total_return == pytest.approx(1.04300595 * 1.099 - 1)
    assert s.n_trades == 3 and s.positions.tolist() == [1, 1, 0, 1]
    assert s.max_drawdown == pytest.approx(1 - 0.95 * 0.999)  # peak 1.099 -> 1.04300595
    sd = statistics.stdev([0.099, -0.05, -0.001, 0.099])
    assert s.sharpe == pytest.approx(0.03675 / sd * math.sqrt(252))
    b = bt.buy_and_hold
    np.testing.assert_allclose(b.returns, [0.099, -0.05, 0.2, 0.1])  # pays only the entry
    assert b.n_trades == 1 and b.max_drawdown == pytest.approx(0.05)


def test_backtest_edge_cases():
    flat = performance([0, 0, 0], [0.01, -0.02, 0.03], cost_bps=5)
    assert flat.total_return == 0 and flat.sharpe == 0 and flat.max_drawdown == 0 and flat.n_trades == 0
    free = performance([1, 1, 1], [0.01, -0.02, 0.03])
    assert free.total_return == pytest.approx(1.01 * 0.98 * 1.03 - 1)
    flip = performance([1, 0, 1, 0], [0.0] * 4, cost_bps=100)
    assert flip.n_trades == 4 and flip.total_return == pytest.approx(0.99 ** 4 - 1)
    falling = performance([1, 1], [-0.5, -0.5])
    assert falling.max_drawdown == pytest.approx(0.75)
    t = backtest(torch.tensor([1, 0]), torch.tensor([0.1, 0.1]), cost_bps=0)
    assert t.strategy.total_return == pytest.approx(0.1)


@pytest.mark.parametrize("pos, ret, cost, msg", [
    ([1, 0], [0.1], 0, "same length"), ([2, 0], [0.1, 0.1], 0, "0 \\(flat\\) or 1"),
    ([1], [float("nan")], 0, "finite"), ([1], [-1.5], 0, "above -100%"), ([1], [0.1], -1, "transaction cost"),
    ([], [], 0, "non-empty")])
def test_backtest_rejects_bad_input(pos, ret, cost, msg):
    with pytest.raises(ValueError, match=msg):
        performance(pos, ret, cost)


# ---------------------------------------------------------------- latency
def test_latency_of_a_torch_model_is_positive_and_restores_training_mode():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(13, 32), torch.nn.ReLU(), torch.nn.Dropout(0.5), torch.nn.Linear(32, 2))
    model.train()
    res = measure_latency(model, torch.randn(10, 13), repeats=5, warmup=2)
    assert [r.batch_size for r in res] == [1, 1024]
    for r in res:
        assert r.us_per_batch > 0 and r.us_per_prediction == pytest.approx(r.us_per_batch / r.batch_size)
    assert model.training


def test_latency_calls_a_plain_callable_with_the_right_batches_under_inference_mode():
    seen = []

    def predict(batch):
        seen.append((batch.shape, torch.is_inference_mode_enabled()))
        return batch.sum(axis=1)

    x = np.arange(12.0).reshape(4, 3)
    res = measure_latency(predict, x, batch_sizes=(1, 6), repeats=3, warmup=2)
    assert [s for s, _ in seen] == [(1, 3)] * 5 + [(6, 3)] * 5 and all(m for _, m in seen)
    assert all(r.us_per_prediction > 0 for r in res)
    with pytest.raises(ValueError, match="callable"):
        measure_latency(None, x)
    with pytest.raises(ValueError, match="at least one example"):
        measure_latency(predict, x[:0])


# ---------------------------------------------------------------- baselines
def small_ds() -> Dataset:
    """3 classes; class 2 never appears in train; one unlabelled train point (-1)."""
    rng = np.random.default_rng(0)
    y = np.array([0] * 20 + [1] * 30 + [-1])
    x = rng.normal(size=(len(y), 2)) + np.where(y == 1, 2.0, -2.0)[:, None]
    xt = np.array([[-2.0, -2.0], [2.0, 2.0], [2.5, 1.5]])
    t = lambda a, d=torch.float32: torch.as_tensor(a, dtype=d)  # noqa: E731
    return Dataset("small", t(x), t(y, torch.int64), t(xt), t([0, 1, 2], torch.int64), ["a", "b", "c"])


def test_majority_baseline_predicts_train_frequencies():
    res = majority_baseline(small_ds())
    np.testing.assert_allclose(res.proba, np.tile([0.4, 0.6, 0.0], (3, 1)))  # the -1 point is ignored
    assert res.pred.tolist() == [1, 1, 1] and res.accuracy == pytest.approx(1 / 3)


def test_logistic_baseline_matches_sklearn_and_pads_absent_classes():
    ds = small_ds()
    res = logistic_baseline(ds)
    ref = LogisticRegression(max_iter=2000).fit(ds.x_train[:50].numpy(), ds.y_train[:50].numpy())
    np.testing.assert_allclose(res.proba[:, :2], ref.predict_proba(ds.x_test.numpy()), atol=1e-6)
    assert (res.proba[:, 2] == 0).all() and res.pred.tolist() == [0, 1, 1] and res.accuracy == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="no validation split"):
        logistic_baseline(ds, split="val")


def test_logistic_finds_the_synthetic_signal_and_not_a_missing_one():
    strong = make_dataset("synthetic_market", n=3000, signal=0.6, seed=1)
    none = make_dataset("synthetic_market", n=3000, signal=0.0, seed=1)
    lr, maj = logistic_baseline(strong), majority_baseline(strong)
    assert lr.accuracy > maj.accuracy + 0.1 and lr.accuracy > ceiling_accuracy(0.6) - 0.06
    assert abs(logistic_baseline(none).accuracy - 0.5) < 0.06
    assert logistic_baseline(strong, split="val").proba.shape == (len(strong.y_val), 2)


@pytest.mark.parametrize("device", available_devices())
def test_latency_runs_on_every_available_device(device):
    model = torch.nn.Linear(13, 2).to(device)
    res = measure_latency(model, torch.randn(4, 13, device=device), batch_sizes=(1, 64), repeats=3, warmup=1)
    assert all(r.us_per_batch > 0 for r in res)
