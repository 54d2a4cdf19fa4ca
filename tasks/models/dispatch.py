"""Monthly dispatch (月调度): reporting periods, progress reports, supporting units'
contributions, annual work plans, indicator actuals, evidence files, and the review record.

Progress reports, contributions and annual work plans share one review flow (``Filing``):
draft → submitted → approved, or returned with a comment → resubmitted. Every transition is a
``ReviewEvent``; every change of content is in the history.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from tasks.choices import FilingStatus, PeriodStatus, ReviewAction
from tasks.models.directory import Unit, User
from tasks.models.plan import Indicator, Task


class FilingQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Drafts are their unit's own; the rest follows the task's visibility."""
        if not user.is_authenticated:
            return self.none()
        readable = Q(unit_id__in=user.scope_unit_ids()) | ~Q(status=FilingStatus.DRAFT)
        if user.sees_everything:
            return self.filter(readable)
        return self.filter(readable, task__in=Task.objects.visible_to(user))


class ReportingPeriod(models.Model):
    """A month to report on; its reports are due on a working day of the following month."""

    year = models.PositiveSmallIntegerField("年度")
    month = models.PositiveSmallIntegerField("月份")
    due_date = models.DateField("截止日期")
    due_provisional = models.BooleanField(
        "截止日期为暂定", default=False, help_text="计算时用到了节假日尚未录入的年份（按周一至周五推算）",
    )
    status = models.CharField("状态", max_length=10, choices=PeriodStatus.choices, default=PeriodStatus.OPEN)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "填报期"
        ordering = ["-year", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["year", "month"], name="one_period_per_month"),
            models.CheckConstraint(condition=Q(month__gte=1, month__lte=12), name="period_month_valid"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"{self.year}年{self.month}月"

    @property
    def is_open(self) -> bool:
        return self.status == PeriodStatus.OPEN


class Filing(models.Model):
    """What a unit files on a task and goes through review."""

    task = models.ForeignKey(Task, verbose_name="任务", on_delete=models.PROTECT, related_name="%(class)ss")
    unit = models.ForeignKey(Unit, verbose_name="填报单位", on_delete=models.PROTECT, related_name="%(class)ss")
    status = models.CharField("状态", max_length=12, choices=FilingStatus.choices, default=FilingStatus.DRAFT)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    is_late = models.BooleanField("逾期提交", default=False)
    created_by = models.ForeignKey(User, verbose_name="填报人", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = FilingQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def status_choice(self) -> FilingStatus:
        return FilingStatus(self.status)

    @property
    def is_editable(self) -> bool:
        return self.status in FilingStatus.editable()


class ProgressReport(Filing):
    """进展填报: a lead unit's monthly report on one task."""

    period = models.ForeignKey(ReportingPeriod, verbose_name="填报期", on_delete=models.PROTECT, related_name="reports")
    completed = models.TextField("本月完成情况", blank=True)
    problems = models.TextField("存在问题", blank=True)
    next_plan = models.TextField("下月计划", blank=True)
    progress = models.PositiveSmallIntegerField("完成进度（%）", null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "进展填报"
        ordering = ["-period__year", "-period__month", "task__sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["task", "unit", "period"], name="one_report_per_task_unit_period"),
            models.CheckConstraint(condition=Q(progress__lte=100), name="report_progress_at_most_100"),
        ]
        indexes = [
            # The review queue reads submitted reports, the newest periods first.
            models.Index(fields=["status", "period"], name="report_status_period"),
        ]

    def __str__(self) -> str:
        return f"{self.period.label} {self.task.code} {self.unit.short_name}"


class Contribution(Filing):
    """配合情况: a supporting unit's part of a task in one period."""

    period = models.ForeignKey(
        ReportingPeriod, verbose_name="填报期", on_delete=models.PROTECT, related_name="contributions",
    )
    text = models.TextField("配合情况", blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "配合情况"
        ordering = ["-period__year", "-period__month"]
        constraints = [
            models.UniqueConstraint(fields=["task", "unit", "period"], name="one_contribution_per_task_unit_period"),
        ]

    def __str__(self) -> str:
        return f"{self.period.label} {self.task.code} {self.unit.short_name}（配合）"


class AnnualWorkPlan(Filing):
    """年度工作方案: a lead unit's plan for a task's year, due before February."""

    year = models.PositiveSmallIntegerField("年度")
    due_date = models.DateField("截止日期")
    content = models.TextField("工作方案（任务清单与工作台账）", blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "年度工作方案"
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(fields=["task", "unit", "year"], name="one_annual_plan_per_task_unit_year"),
        ]

    def __str__(self) -> str:
        return f"{self.year}年 {self.task.code} {self.unit.short_name} 年度工作方案"


class IndicatorActual(models.Model):
    """The actual value of one of the task's indicators, as reported for the month."""

    report = models.ForeignKey(ProgressReport, verbose_name="进展填报", on_delete=models.CASCADE, related_name="actuals")
    indicator = models.ForeignKey(Indicator, verbose_name="指标", on_delete=models.PROTECT, related_name="actuals")
    value = models.DecimalField("实际值", max_digits=14, decimal_places=2)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "指标实际值"
        constraints = [
            models.UniqueConstraint(fields=["report", "indicator"], name="one_actual_per_report_indicator"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.name}：{self.value}"


def evidence_path(instance: Evidence, filename: str) -> str:
    # The stored name never comes from the user; the original name is kept in a field.
    return f"evidence/{instance.sha256[:2]}/{instance.sha256}{instance.extension}"


class StoredFile(models.Model):
    """An uploaded file kept under its digest, with the name, type and size it came with (checked
    by content: tasks/evidence.py; stored by ``services.dispatch.evidence_store``)."""

    file = models.FileField("文件", upload_to=evidence_path)
    original_name = models.CharField("原文件名", max_length=200)
    extension = models.CharField("扩展名", max_length=8)
    content_type = models.CharField("类型", max_length=100)
    size = models.PositiveIntegerField("大小（字节）")
    sha256 = models.CharField("摘要", max_length=64)
    uploaded_by = models.ForeignKey(User, verbose_name="上传人", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.original_name


class Evidence(StoredFile):
    """佐证材料: a file attached to a progress report or an annual work plan."""

    report = models.ForeignKey(
        ProgressReport, verbose_name="进展填报", null=True, blank=True, on_delete=models.CASCADE, related_name="evidence",
    )
    annual_plan = models.ForeignKey(
        AnnualWorkPlan, verbose_name="年度工作方案", null=True, blank=True, on_delete=models.CASCADE, related_name="evidence",
    )

    class Meta:
        verbose_name = verbose_name_plural = "佐证材料"
        ordering = ["uploaded_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(report__isnull=False, annual_plan__isnull=True)
                | Q(report__isnull=True, annual_plan__isnull=False),
                name="evidence_belongs_to_one_filing",
            ),
        ]


class ReviewEvent(models.Model):
    """One step of a filing's review, with who, when and the comment: the review record."""

    report = models.ForeignKey(ProgressReport, null=True, blank=True, on_delete=models.PROTECT, related_name="events")
    contribution = models.ForeignKey(Contribution, null=True, blank=True, on_delete=models.PROTECT, related_name="events")
    annual_plan = models.ForeignKey(AnnualWorkPlan, null=True, blank=True, on_delete=models.PROTECT, related_name="events")
    action = models.CharField("操作", max_length=10, choices=ReviewAction.choices)
    from_status = models.CharField("原状态", max_length=12, choices=FilingStatus.choices)
    to_status = models.CharField("新状态", max_length=12, choices=FilingStatus.choices)
    comment = models.TextField("意见", blank=True)
    is_late = models.BooleanField("逾期", default=False)
    actor = models.ForeignKey(User, verbose_name="操作人", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "审核记录"
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(report__isnull=False, contribution__isnull=True, annual_plan__isnull=True)
                    | Q(report__isnull=True, contribution__isnull=False, annual_plan__isnull=True)
                    | Q(report__isnull=True, contribution__isnull=True, annual_plan__isnull=False)
                ),
                name="review_event_belongs_to_one_filing",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()}（{self.actor}，{self.at:%Y-%m-%d %H:%M}）"
