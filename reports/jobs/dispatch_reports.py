"""Jobs of the dispatch reports: build one report (queued with its id), and the daily schedule.

Both are idempotent by the claim on the report's row (reports.services.dispatch_reports), so
late acknowledgement is safe: a build whose worker died is delivered again and either finds the
report built or, once the dead build has gone silent, builds it."""

from celery import shared_task
from django.db import OperationalError

from reports.services import dispatch_reports as services


@shared_task(name="reports.dispatch_report_build", acks_late=True)
def dispatch_report_build_job(report_id: int) -> str:
    """Build one dispatch report; nothing when another build holds it or it is already built."""
    report = services.dispatch_report_build(report_id=report_id)
    return f"{report.title}（第 {report.generation} 次生成）" if report else "未生成：已由其他进程生成或无需生成"


@shared_task(name="reports.dispatch_report_schedule", autoretry_for=(OperationalError,), retry_backoff=True,
             max_retries=5, acks_late=True)
def dispatch_report_schedule_job(date: str | None = None) -> str:
    """Daily: last month's report (and after June / December the packs), once, on its build day."""
    import datetime

    today = datetime.date.fromisoformat(date) if date else None
    return "；".join(services.dispatch_report_schedule(today=today))
