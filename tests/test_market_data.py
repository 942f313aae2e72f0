"""Market data: loaders, synthetic market, past-only features (no look-ahead), labels, purged splits."""
import re

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from kdviz.data import make_dataset
from kdviz.trading.prices import ceiling_accuracy, load_index, synthetic_prices
from kdviz.data.market import build_market_dataset
from kdviz.trading.split import MIN_SEGMENT, chronological_split, minimum_rows
from kdviz.trading.features import (FeatureConfig, build_features, direction_labels, forward_returns,
                                   label_names)

SMALL = FeatureConfig(lags=3, vol_windows=(4,), momentum_windows=(2, 6), ma_windows=(5,), volume_window=4)


def prices(n=400, seed=0, volume=True) -> pd.DataFrame:
    """A random-walk price frame (independent of the synthetic generator)."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"Date": pd.bdate_range("2001-01-01", periods=n),
                       "Close": 50 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))})
    if volume:
        df["Volume"] = rng.integers(1_000, 5_000, n).astype(float)
    return df


# ---------------------------------------------------------------- loaders
@pytest.mark.parametrize("name, module", [("sp500", "sp500"), ("nasdaq", "nasdaq")])
def test_bundled_index_loads_date_close_volume(name, module):
    import importlib

    raw = importlib.import_module(f"arch.data.{module}").load()
    df = load_index(name)
    assert list(df.columns) == ["Date", "Close", "Volume"] and len(df) == len(raw) == 5031
    assert df["Date"].is_monotonic_increasing and df["Date"].iloc[0] == pd.Timestamp("1999-01-04")
    np.testing.assert_array_equal(df["Close"].to_numpy(), raw["Close"].to_numpy())
    part = load_index(name, "2005-01-01", "2005-12-31")
    assert part["Date"].dt.year.unique().tolist() == [2005] and len(part) == 252


def test_loader_errors():
    with pytest.raises(ValueError, match="unknown index"):
        load_index("ftse")
    with pytest.raises(ValueError, match="no S&P 500 prices"):
        load_index("sp500", "2030-01-01")


# ---------------------------------------------------------------- synthetic market
def test_synthetic_is_seeded_and_well_formed():
    a, b = synthetic_prices(500, 0.3, seed=4), synthetic_prices(500, 0.3, seed=4)
    pd.testing.assert_frame_equal(a, b)
    assert not a["Close"].equals(synthetic_prices(500, 0.3, seed=5)["Close"])
    assert list(a.columns) == ["Date", "Close", "Volume", "Regime"] and (a["Close"] > 0).all()
    assert a["Date"].is_monotonic_increasing and set(a["Regime"]) <= {0, 1}


def test_synthetic_regimes_set_volatility_and_volume():
    df = synthetic_prices(20_000, 0.0, seed=1)
    r = np.diff(np.log(df["Close"].to_numpy()))
    reg = df["Regime"].to_numpy()[1:]
    assert 0.007 < r[reg == 0].std() < 0.009 and 0.018 < r[reg == 1].std() < 0.022
    assert df["Volume"][df["Regime"] == 1].median() > 1.3 * df["Volume"][df["Regime"] == 0].median()


@pytest.mark.parametrize("signal", [0.0, 0.3, 0.7])
def test_synthetic_signal_gives_the_stated_ceiling(signal):
    df = synthetic_prices(40_000, signal, seed=2)
    r = np.diff(np.log(df["Close"].to_numpy()))
    oracle_up = r[:-1] < 0  # the known rule: tomorrow reverses today
    acc = np.mean(oracle_up == (r[1:] > 0))
    assert abs(acc - ceiling_accuracy(signal)) < 0.015  # drift shifts it by < 1 point


def test_synthetic_full_signal_is_deterministic_reversal():
    r = np.diff(np.log(synthetic_prices(300, 1.0, seed=0)["Close"].to_numpy()))
    assert np.array_equal(np.sign(r[2:]), -np.sign(r[1:-1]))
    assert ceiling_accuracy(1.0) == 1.0 and ceiling_accuracy(0.0) == 0.5


@pytest.mark.parametrize("kw", [{"n_days": 10}, {"signal": 1.2}, {"vols": (0.0, 0.02)}])
def test_synthetic_bad_options_raise(kw):
    with pytest.raises(ValueError):
        synthetic_prices(**{"n_days": 500, **kw})


# ---------------------------------------------------------------- features against pandas rolling
def test_features_match_pandas_rolling_oracle():
    df = prices(200)
    f = build_features(df, SMALL)
    c, v = df["Close"], np.log1p(df["Volume"])
    r = np.log(c).diff()
    want = {
        "ret_lag1": r, "ret_lag2": r.shift(1), "ret_lag3": r.shift(2),
        "vol_4": r.rolling(4).std(ddof=0),
        "mom_2": np.log(c / c.shift(2)), "mom_6": np.log(c / c.shift(6)),
        "ma_dist_5": np.log(c / c.rolling(5).mean()),
        "volume_z_4": (v - v.rolling(4).mean()) / v.rolling(4).std(ddof=0),
    }
    assert list(f.columns) == list(want)
    for name, col in want.items():
        np.testing.assert_allclose(f[name].to_numpy(), col.to_numpy(), rtol=1e-9, atol=1e-12, err_msg=name)


def test_lookback_is_exactly_the_warm_up():
    for cfg in (SMALL, FeatureConfig()):
        f = build_features(prices(300), cfg).to_numpy()
        L = cfg.lookback
        assert np.isfinite(f[L:]).all() and not np.isfinite(f[L - 1]).all()
    assert FeatureConfig().lookback == 60 and SMALL.lookback == 6


def test_no_volume_column_and_constant_volume():
    assert "volume_z_4" not in build_features(prices(50, volume=False), SMALL)
    df = prices(50)
    df["Volume"] = 0.0
    assert (build_features(df, SMALL)["volume_z_4"].iloc[3:] == 0).all()


@pytest.mark.parametrize("kw, msg", [({"lags": -1}, "lags"), ({"vol_windows": (1,)}, "volatility"),
                                     ({"ma_windows": (400,)}, "moving-average"), ({"volume_window": 1}, "volume"),
                                     ({"lags": 0, "vol_windows": (), "momentum_windows": (), "ma_windows": (),
                                       "volume_window": 0}, "at least one")])
def test_bad_feature_config_raises(kw, msg):
    with pytest.raises(ValueError, match=msg):
        FeatureConfig(**kw)


# ---------------------------------------------------------------- no look-ahead, proved by perturbation
configs = st.builds(FeatureConfig, lags=st.integers(1, 6),
                    vol_windows=st.lists(st.integers(2, 30), max_size=2).map(tuple),
                    momentum_windows=st.lists(st.integers(1, 30), max_size=2).map(tuple),
                    ma_windows=st.lists(st.integers(2, 30), max_size=2).map(tuple),
                    volume_window=st.sampled_from([0, 2, 10, 25]))


@given(cfg=configs, seed=st.integers(0, 10_000), i=st.integers(0, 119), data=st.data())
@settings(max_examples=80, deadline=None)
def test_features_of_row_i_never_see_prices_after_i(cfg, seed, i, data):
    df = prices(120, seed)
    rng = np.random.default_rng(seed + 1)
    scale = data.draw(st.sampled_from([1e-9, 0.05, 3.0]))  # tiny, typical and wild changes
    changed = df.copy()
    after = np.arange(i + 1, len(df))
    changed.loc[after, "Close"] *= np.exp(rng.normal(0, scale, len(after)))
    changed.loc[after, "Volume"] *= np.exp(rng.normal(0, scale, len(after)))
    before, later = build_features(df, cfg).to_numpy(), build_features(changed, cfg).to_numpy()
    np.testing.assert_array_equal(before[: i + 1], later[: i + 1])  # rows 0..i bit-identical (NaN == NaN)


def test_perturbation_test_can_fail_features_see_day_i_and_labels_see_i_plus_h():
    df = prices(120)
    changed = df.copy()
    changed.loc[80, "Close"] *= 1.05
    f0, f1 = build_features(df, SMALL), build_features(changed, SMALL)
    assert f0.loc[80, "ret_lag1"] != f1.loc[80, "ret_lag1"]  # day i's own price is used by row i
    for h in (1, 3):  # the label of row i - h reads price i
        assert forward_returns(changed["Close"], h)[80 - h] != forward_returns(df["Close"], h)[80 - h]


# ---------------------------------------------------------------- labels
def test_forward_returns_and_direction_labels_by_hand():
    close = np.array([100.0, 101.0, 100.0, 100.0, 103.0])
    np.testing.assert_allclose(forward_returns(close, 1), [0.01, -1 / 101, 0.0, 0.03, np.nan])
    np.testing.assert_allclose(forward_returns(close, 2), [0.0, -1 / 101, 0.03, np.nan, np.nan])
    assert direction_labels(forward_returns(close, 1)).tolist() == [1, 0, 0, 1, -1]  # a zero return is "down"
    fwd = np.array([0.004, -0.004, 0.001, -0.0005, np.nan])
    assert direction_labels(fwd, dead_band=0.002).tolist() == [2, 0, 1, 1, -1]
    assert label_names(0.0) == ["down", "up"] and label_names(0.002) == ["down", "flat", "up"]
    with pytest.raises(ValueError, match="dead band"):
        direction_labels(fwd, -0.1)


# ---------------------------------------------------------------- chronological, purged splits
@given(n=st.integers(150, 3000), lookback=st.integers(0, 60), h=st.integers(1, 10),
       tr=st.floats(0.3, 0.9), va=st.sampled_from([0.0, 0.1, 0.25]))
@settings(max_examples=150, deadline=None)
def test_split_order_gaps_and_bounds(n, lookback, h, tr, va):
    try:
        train, val, test = chronological_split(n, lookback, h, tr, va)
    except ValueError as err:
        need = int(re.search(r"at least (\d+) are needed", str(err)).group(1))
        assert n < need and need > lookback + h + (2 if va else 1) * (h + lookback)
        return
    gap = h + lookback
    assert train[0] == lookback and test[-1] + h <= n - 1  # full features and a known label
    later = val if len(val) else test
    assert later[0] - train[-1] == gap + 1  # exactly `gap` rows dropped
    if len(val):
        assert test[0] - val[-1] == gap + 1
    for a, b in ((train, val), (train, test), (val, test)):
        if len(a) and len(b):
            assert b.min() - a.max() > h + lookback  # no shared price between a label and later features
    assert min(len(train), len(test)) >= MIN_SEGMENT and (va == 0) == (len(val) == 0)
    assert all(np.all(np.diff(s) == 1) for s in (train, val, test) if len(s))


@pytest.mark.parametrize("cfg, h, tr, va", [(FeatureConfig(), 1, 0.7, 0.15), (SMALL, 5, 0.6, 0.0),
                                            (SMALL, 2, 0.8, 0.3)])
def test_minimum_rows_is_exact(cfg, h, tr, va):
    need = minimum_rows(cfg, h, tr, va)
    chronological_split(need, cfg.lookback, h, tr, va)  # enough
    with pytest.raises(ValueError, match=f"at least {need} are needed"):
        chronological_split(need - 1, cfg.lookback, h, tr, va)


# ---------------------------------------------------------------- the market Dataset
def test_dataset_standardises_with_train_rows_only():
    df = prices(600)
    ds = build_market_dataset(df, "t", SMALL, horizon=2)
    raw = build_features(df, SMALL).to_numpy()
    i = ds.info
    np.testing.assert_allclose(i["mean"], raw[i["rows_train"]].mean(0))
    np.testing.assert_allclose(i["std"], raw[i["rows_train"]].std(0))
    for split in ("train", "val", "test"):
        want = (raw[i[f"rows_{split}"]] - i["mean"]) / i["std"]
        np.testing.assert_allclose(getattr(ds, f"x_{split}").numpy(), want, rtol=1e-5, atol=1e-5)
    assert abs(ds.x_test.numpy().mean(0)).max() > 1e-3  # test is not re-centred on itself


def test_future_prices_do_not_change_the_train_split():
    df = prices(600)
    ds = build_market_dataset(df, "t", SMALL, horizon=3)
    last_used = ds.info["rows_train"][-1] + 3  # the last price a train label reads
    changed = df.copy()
    changed.loc[last_used + 1:, "Close"] *= np.exp(np.random.default_rng(0).normal(0, 0.2, len(df) - last_used - 1))
    ds2 = build_market_dataset(changed, "t", SMALL, horizon=3)
    assert torch.equal(ds.x_train, ds2.x_train) and torch.equal(ds.y_train, ds2.y_train)
    assert not torch.equal(ds.x_test, ds2.x_test)


def test_dataset_info_dates_and_backtest_returns():
    df = prices(600)
    ds = build_market_dataset(df, "t", SMALL, horizon=2, dead_band=0.003)
    i, c = ds.info, df["Close"].to_numpy()
    rows = i["rows_test"]
    np.testing.assert_array_equal(i["dates_test"], df["Date"].to_numpy()[rows])
    np.testing.assert_allclose(i["test_next_returns"], c[rows + 1] / c[rows] - 1)
    np.testing.assert_allclose(i["test_forward_returns"], c[rows + 2] / c[rows] - 1)
    assert ds.class_names == ["down", "flat", "up"] and i["gap"] == 2 + SMALL.lookback
    assert i["dates_train"][-1] < i["dates_val"][0] and i["dates_val"][-1] < i["dates_test"][0]
    assert set(ds.y_test.tolist()) <= {0, 1, 2} and ds.x_val.shape[1] == len(i["feature_names"])


@pytest.mark.parametrize("name, kw", [("sp500", {}), ("nasdaq", {"horizon": 5, "dead_band": 0.005}),
                                      ("synthetic_market", {"n": 1500, "signal": 0.4})])
def test_registered_market_builders(name, kw):
    ds = make_dataset(name, **kw)
    assert ds.n_features == 13 and ds.n_classes == (3 if kw.get("dead_band") else 2)
    assert ds.info["dates_train"][-1] < ds.info["dates_test"][0]
    assert (ds.y_train >= 0).all() and len(ds.info["test_next_returns"]) == len(ds.y_test)
    if name == "synthetic_market":
        assert ds.info["ceiling_accuracy"] == ceiling_accuracy(0.4) and len(ds.info["regime_test"]) == len(ds.y_test)
        assert torch.equal(make_dataset(name, **kw).x_test, ds.x_test)
