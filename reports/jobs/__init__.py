"""Background jobs of the reports layer (``app.autodiscover_tasks(related_name="jobs")`` imports
this package; each part's jobs live in its own module, imported here)."""
