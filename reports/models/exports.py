"""Ledger exports too large for a request (工作台账导出任务): written by a background job into a
file that only the person who asked may download."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q

from tasks.models import User


def export_path(instance: ExportJob, filename: str) -> str:
    # The stored name never comes from the user; the download name is kept in a field.
    return f"exports/{instance.created_at:%Y/%m}/export-{instance.pk}.xlsx"


class ExportJob(models.Model):
    """One ledger export run by a job: what, with which filters, for whom, how far it got."""

    class Kind(models.TextChoices):
        TASKS = "tasks", "任务台账"
        FINDINGS = "findings", "督查问题整改台账"
        INDICATORS = "indicators", "指标台账"

    class Status(models.TextChoices):
        PENDING = "pending", "排队中"
        RUNNING = "running", "生成中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"

        @property
        def badge(self) -> str:
            return {"pending": "badge-muted", "running": "badge-info",
                    "done": "badge-green", "failed": "badge-red"}[self.value]

        @property
        def is_final(self) -> bool:
            return self in {ExportJob.Status.DONE, ExportJob.Status.FAILED}

    kind = models.CharField("台账", max_length=20, choices=Kind.choices)
    # The list page's query string as it was, re-read by the job with the same filters.
    params = models.JSONField("筛选条件", default=dict, blank=True)
    requested_by = models.ForeignKey(User, verbose_name="导出人", on_delete=models.PROTECT, related_name="+")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    rows_done = models.PositiveIntegerField("已写行数", default=0)
    rows_total = models.PositiveIntegerField("总行数", null=True, blank=True)
    file = models.FileField("文件", upload_to=export_path, blank=True)
    filename = models.CharField("文件名", max_length=200, blank=True)
    error = models.TextField("错误", blank=True)
    created_at = models.DateTimeField("提交时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "台账导出"
        ordering = ["-created_at", "-id"]
        indexes = [
            # export_job_run claims pending rows; the stale-export re-queue reads them too.
            models.Index(fields=["created_at"], condition=Q(status="pending"), name="export_job_pending"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "running", "done", "failed"]), name="export_job_status_valid",
            ),
            # A finished export has its file; nothing half-done is ever marked done.
            models.CheckConstraint(condition=~Q(status="done") | ~Q(file=""), name="export_job_done_has_file"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}（{self.get_status_display()}）"

    @property
    def status_choice(self) -> ExportJob.Status:
        return ExportJob.Status(self.status)

    @property
    def keep_until(self) -> datetime:
        """When the housekeeping job deletes the export and its file."""
        return self.created_at + timedelta(days=settings.EXPORT_KEEP_DAYS)

    @property
    def percent(self) -> int:
        if not self.rows_total:
            return 100 if self.status == ExportJob.Status.DONE else 0
        return min(100, round(100 * self.rows_done / self.rows_total))
