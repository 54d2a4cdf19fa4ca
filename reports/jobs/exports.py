"""Job of the ledger exports: write one export, queued with its id.

Idempotent by the claim on the export's row (reports.services.exports), so late acknowledgement
is safe: a second delivery finds the export running or finished and does nothing; an export
whose worker died is claimed again once it has run longer than any job may."""

from celery import shared_task

from reports.services import exports as services


@shared_task(name="reports.ledger_export", acks_late=True)
def ledger_export_job(export_id: int) -> str:
    """Write one ledger export to a file for its requester."""
    job = services.export_job_run(export_id=export_id)
    if job is None:
        return "未生成：已由其他进程生成"
    return f"{job.get_kind_display()}：{job.get_status_display()}，{job.rows_done} 行"
