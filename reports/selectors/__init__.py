"""Reads of the reports layer, one module per part: ledgers, dashboards, dispatch reports,
the Excel round-trip. Everything goes through the selectors of ``tasks`` and ``supervision`` so
that a report shows exactly the rows its reader may see."""
