"""Pages of the reports layer, one module per part."""
