"""Plotly figure builders: pure functions, arrays in, go.Figure out. One module per topic."""
