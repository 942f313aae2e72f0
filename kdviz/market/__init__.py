"""The market case: past-only features, chronological splits, CSV input, backtest, latency, baselines.

Modules: features (FeatureConfig, build_features, labels), dataset (build_market_dataset with
purged chronological splits), csv_input (parse_price_csv), backtest, latency, baselines.
The bundled and synthetic price series live in kdviz.data.market.
"""
