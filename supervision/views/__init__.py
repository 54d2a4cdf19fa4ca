"""Pages of supervision, one module per concern."""
