"""Keeping the reports' files tidy, every ten minutes: ledger exports nobody is writing are
queued again (the broker was down when they were asked for, or their worker died); finished
exports past ``EXPORT_KEEP_DAYS`` and round-trip uploads never saved are deleted.

Idempotent: a re-queued export is claimed once by its job, and deleting what is gone changes
nothing."""

from celery import shared_task

from reports.services.exports import files_housekeeping


@shared_task(name="reports.files_housekeeping", acks_late=True)
def files_housekeeping_job() -> str:
    return files_housekeeping()
