"""Numbers beside the symbols: random instances honouring kinds, contraction, comparison, contraction cost."""
