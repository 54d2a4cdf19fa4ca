"""The monthly dispatch report (月调度报告) and the half-year and annual packs: one row per period.

A report is derived data: its ``content`` (every section the page, the API and the workbook
show) and its ``file`` (the .xlsx) are rebuilt from ``tasks`` and ``supervision`` by
``reports.services.dispatch_reports``. Rebuilding replaces the content and the file of the same
row — the unique (kind, year, number) makes "one report per period" an invariant of the database,
so that two builds at once can only ever fight over one row, never create two.

The build is claimed on this row (a conditional UPDATE that sets ``token``); the page polls
``progress`` and ``stage``; ``heartbeat_at`` tells a running build from a dead one.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from reports.choices import DispatchReportKind, DispatchReportStatus
from tasks.models import ActionPlan, User


def dispatch_report_path(instance: DispatchReport, filename: str) -> str:
    # One name per build: a reader downloading the previous file while a rebuild swaps in the
    # new one never gets half of each. The previous file is deleted once the swap has committed.
    return f"reports/dispatch/{instance.year}/{instance.kind}-{instance.number:02d}-{instance.generation}.xlsx"


class DispatchReportQuerySet(models.QuerySet):
    def visible_to(self, user) -> DispatchReportQuerySet:
        """The office, inspectors and leaders read every report; a unit reads none (a report
        sets every unit's returns side by side: ranking, lateness, return comments)."""
        if not user.is_authenticated or not user.sees_everything:
            return self.none()
        return self


class DispatchReport(models.Model):
    kind = models.CharField("类型", max_length=12, choices=DispatchReportKind.choices)
    year = models.PositiveSmallIntegerField("年度")
    # The month (monthly), the half (1 上半年, 2 下半年), or 0 for the annual report.
    number = models.PositiveSmallIntegerField("期次")
    plan = models.ForeignKey(ActionPlan, verbose_name="行动方案", on_delete=models.PROTECT, related_name="+")
    status = models.CharField("状态", max_length=10, choices=DispatchReportStatus.choices,
                              default=DispatchReportStatus.PENDING)
    progress = models.PositiveSmallIntegerField("进度（%）", default=0)
    stage = models.CharField("当前步骤", max_length=100, blank=True)
    content = models.JSONField("报告内容", default=dict, blank=True)
    file = models.FileField("报表文件", upload_to=dispatch_report_path, blank=True)
    error = models.TextField("失败原因", blank=True)
    # The claim of the running build (a new one per build) and the number of builds that
    # finished: the file name and the page's "第 N 次生成" come from ``generation``.
    token = models.UUIDField("生成令牌", null=True, blank=True)
    generation = models.PositiveIntegerField("生成次数", default=0)
    requested_by = models.ForeignKey(User, verbose_name="发起人", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+",
                                     help_text="留空表示定时任务自动生成")
    requested_at = models.DateTimeField("发起时间")
    started_at = models.DateTimeField("开始生成时间", null=True, blank=True)
    heartbeat_at = models.DateTimeField("最近进展时间", null=True, blank=True)
    built_at = models.DateTimeField("生成时间", null=True, blank=True)

    objects = DispatchReportQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "调度报告"
        ordering = ["-year", "kind", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "year", "number"], name="one_dispatch_report_per_period"),
            models.CheckConstraint(
                condition=(
                    Q(kind=DispatchReportKind.MONTHLY, number__gte=1, number__lte=12)
                    | Q(kind=DispatchReportKind.HALF_YEAR, number__gte=1, number__lte=2)
                    | Q(kind=DispatchReportKind.ANNUAL, number=0)
                ),
                name="dispatch_report_number_valid",
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="dispatch_report_progress_at_most_100"),
            models.CheckConstraint(
                condition=~Q(status=DispatchReportStatus.BUILDING) | Q(token__isnull=False),
                name="dispatch_report_building_has_token",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def kind_choice(self) -> DispatchReportKind:
        return DispatchReportKind(self.kind)

    @property
    def status_choice(self) -> DispatchReportStatus:
        return DispatchReportStatus(self.status)

    @property
    def period_label(self) -> str:
        return self.kind_choice.period_label(self.year, self.number)

    @property
    def title(self) -> str:
        """「2020年10月调度报告」, 「2020年上半年工作总结会材料」, 「2020年度总结报告」."""
        return self.kind_choice.title(self.year, self.number)

    @property
    def is_building(self) -> bool:
        return self.status in DispatchReportStatus.in_progress()

    @property
    def has_content(self) -> bool:
        """A previous good build is there (kept while a rebuild runs or after it failed)."""
        return bool(self.content) and bool(self.file)
