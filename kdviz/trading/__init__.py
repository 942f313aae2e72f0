"""Market maths on plain prices: past-only features, purged splits, price sources, CSV checks, backtest, latency.

Modules: features (FeatureConfig, build_features, labels), split (chronological_split,
minimum_rows), prices (the bundled S&P 500 / NASDAQ and a synthetic market), csv_input
(parse_price_csv), backtest, latency. Nothing here builds a Dataset: kdviz.data.market does.
"""
