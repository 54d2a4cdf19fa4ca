"""Background jobs of the reports layer (``app.autodiscover_tasks(related_name="jobs")`` imports
this package; each part's jobs live in its own module, imported here)."""

from reports.jobs.dispatch_reports import dispatch_report_build_job, dispatch_report_schedule_job  # noqa: F401
from reports.jobs.exports import ledger_export_job  # noqa: F401
from reports.jobs.housekeeping import files_housekeeping_job  # noqa: F401
from reports.jobs.standings import standings_refresh_job  # noqa: F401
