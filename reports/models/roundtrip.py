"""Excel round-trip (Excel 批量填报): an uploaded progress template, kept between its preview
and its confirmation.

The portal never trusts the browser with what it parsed: the rows that would be saved and the
problems found are stored here, under the user who uploaded them, and the confirmation reads
them back from this row. A row is used once (its status leaves ``preview`` in the same
transaction that saves the reports) and expires after ``ROUNDTRIP_UPLOAD_TTL_HOURS``.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from tasks.models import ReportingPeriod, Unit, User


class RoundtripUpload(models.Model):
    class Status(models.TextChoices):
        PREVIEW = "preview", "待确认"
        INVALID = "invalid", "有错误"
        SAVED = "saved", "已保存"

        @property
        def badge(self) -> str:
            return {"preview": "badge-info", "invalid": "badge-red", "saved": "badge-green"}[self.value]

    class SavedAs(models.TextChoices):
        DRAFT = "draft", "保存为草稿"
        SUBMIT = "submit", "直接提交"

    owner = models.ForeignKey(User, verbose_name="上传人", on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, verbose_name="填报单位", on_delete=models.PROTECT, related_name="+")
    period = models.ForeignKey(ReportingPeriod, verbose_name="填报期", on_delete=models.PROTECT, related_name="+")
    filename = models.CharField("文件名", max_length=200)
    size = models.PositiveIntegerField("大小（字节）")
    sha256 = models.CharField("摘要", max_length=64)
    # What the reader found: the rows to save and the problems by row and column (JSON lists of
    # plain values, see reports.roundtrip.ParsedRow / Issue).
    rows = models.JSONField("解析结果", default=list)
    issues = models.JSONField("问题", default=list)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PREVIEW)
    saved_as = models.CharField("保存方式", max_length=10, choices=SavedAs.choices, blank=True)
    created_at = models.DateTimeField("上传时间", auto_now_add=True)
    confirmed_at = models.DateTimeField("确认时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "Excel 批量填报"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["preview", "invalid", "saved"]), name="roundtrip_upload_status_valid",
            ),
            # Saved exactly when it says how: one confirmation per upload.
            models.CheckConstraint(
                condition=Q(status="saved", confirmed_at__isnull=False, saved_as__in=["draft", "submit"])
                | (~Q(status="saved") & Q(confirmed_at__isnull=True, saved_as="")),
                name="roundtrip_upload_saved_once",
            ),
        ]
        indexes = [
            # The page lists the user's recent uploads, newest first.
            models.Index(fields=["owner", "-created_at"], name="roundtrip_upload_owner"),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.filename}"

    @property
    def status_choice(self) -> RoundtripUpload.Status:
        return self.Status(self.status)

    @property
    def expires_at(self):
        return self.created_at + timedelta(hours=settings.ROUNDTRIP_UPLOAD_TTL_HOURS)

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at

    @property
    def blocking_issues(self) -> list[dict]:
        """Problems that stop any save (the others only stop a submission)."""
        return [issue for issue in self.issues if issue["blocks"] == "all"]

    @property
    def can_save_draft(self) -> bool:
        return self.status == self.Status.PREVIEW and bool(self.rows) and not self.blocking_issues

    @property
    def can_submit(self) -> bool:
        return self.can_save_draft and not self.issues
