"""Dashboard summaries (月末状态): the plan as it stood at the end of each month.

A ``Standing`` is one lead unit on one task at the end of one month — or, for the current month,
as of its last refresh. Every field is what ``tasks.selectors.state.plan_state`` derives from
the recorded history (django-simple-history rows and the review record) at that moment, so a
month's rows can be rebuilt at any time and come out the same; tests prove the rows kept up to
date by the services equal that full computation. Dashboards read one month's rows of one plan
(an index per plan and month), so their cost does not grow with the years of history.
"""

from __future__ import annotations

from django.db import models

from tasks.choices import FilingStatus, Light
from tasks.models import ActionPlan, Indicator, ReportingPeriod, Task, Unit


class StandingMonth(models.Model):
    """One computed month of one plan: when it was computed and as of what moment.

    ``is_final`` months were computed as of their last instant and never change again; the
    current month is recomputed when a report changes and by the hourly job."""

    plan = models.ForeignKey(ActionPlan, verbose_name="行动方案", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField("年度")
    month = models.PositiveSmallIntegerField("月份")
    as_of = models.DateTimeField("截至")
    is_final = models.BooleanField("月末定稿", default=False)
    computed_at = models.DateTimeField("计算时间")

    class Meta:
        verbose_name = verbose_name_plural = "月度汇总"
        ordering = ["plan", "year", "month"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "year", "month"], name="one_standing_month_per_plan"),
        ]

    def __str__(self) -> str:
        return f"{self.year}年{self.month}月"


class Standing(models.Model):
    """One lead unit on one task at the end of a month (月末状态)."""

    plan = models.ForeignKey(ActionPlan, verbose_name="行动方案", on_delete=models.CASCADE, related_name="+")
    task = models.ForeignKey(Task, verbose_name="任务", on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, verbose_name="牵头单位", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField("年度")
    month = models.PositiveSmallIntegerField("月份")
    progress = models.PositiveSmallIntegerField("完成进度（%）", null=True, blank=True)
    expected = models.PositiveSmallIntegerField("序时进度（%）")
    light = models.CharField("灯", max_length=10, choices=Light.choices)
    light_reason = models.CharField("原因", max_length=200)
    # The report of the last period that fell due (None when none had fell due yet).
    last_period = models.ForeignKey(ReportingPeriod, verbose_name="最近到期填报期", null=True, blank=True,
                                    on_delete=models.CASCADE, related_name="+")
    last_status = models.CharField("最近到期填报状态", max_length=12, choices=FilingStatus.choices, blank=True)
    days_overdue = models.PositiveSmallIntegerField("逾期工作日", default=0)
    reports_due = models.PositiveSmallIntegerField("应报次数", default=0)
    reports_on_time = models.PositiveSmallIntegerField("按时报送", default=0)
    reports_late = models.PositiveSmallIntegerField("逾期报送", default=0)
    reports_missing = models.PositiveSmallIntegerField("未报", default=0)
    returns = models.PositiveSmallIntegerField("被退回次数", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "月末任务状态"
        ordering = ["plan", "year", "month", "task_id", "unit_id"]
        constraints = [
            models.UniqueConstraint(fields=["task", "unit", "year", "month"], name="one_standing_per_task_unit_month"),
        ]
        indexes = [
            # Every dashboard reads one plan's month (and the overview its months up to one).
            models.Index(fields=["plan", "year", "month"], name="standing_plan_month"),
        ]

    def __str__(self) -> str:
        return f"{self.year}年{self.month}月 {self.task_id}/{self.unit_id}"


class IndicatorStanding(models.Model):
    """An indicator's latest reported actual at the end of a month."""

    plan = models.ForeignKey(ActionPlan, verbose_name="行动方案", on_delete=models.CASCADE, related_name="+")
    indicator = models.ForeignKey(Indicator, verbose_name="指标", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField("年度")
    month = models.PositiveSmallIntegerField("月份")
    actual = models.DecimalField("实际值", max_digits=14, decimal_places=2, null=True, blank=True)
    # The period of the report the actual comes from.
    actual_period = models.ForeignKey(ReportingPeriod, verbose_name="来源填报期", null=True, blank=True,
                                      on_delete=models.CASCADE, related_name="+")
    attainment = models.CharField("达成情况", max_length=12)

    class Meta:
        verbose_name = verbose_name_plural = "月末指标状态"
        ordering = ["plan", "year", "month", "indicator_id"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "year", "month"], name="one_indicator_standing_per_month"),
        ]
        indexes = [models.Index(fields=["plan", "year", "month"], name="indicator_standing_plan_month")]

    def __str__(self) -> str:
        return f"{self.year}年{self.month}月 {self.indicator_id}"
