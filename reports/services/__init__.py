"""Writes of the reports layer, one module per part (summaries, exports, dispatch reports,
the Excel round-trip)."""
