"""Action plans (行动方案): groups, tasks, unit assignments, targets and indicators."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.functional import cached_property
from simple_history.models import HistoricalRecords

from tasks.choices import AssignmentRole, Comparator, GroupKind, ImportStatus, PlanStatus
from tasks.models.directory import Unit, User


def month_bounds(year: int, month: int) -> tuple[datetime.date, datetime.date]:
    """The first and the last day of a month."""
    first = datetime.date(year, month, 1)
    return first, datetime.date(year + month // 12, month % 12 + 1, 1) - datetime.timedelta(days=1)


def owes_q(year: int, month: int, *, prefix: str = "") -> Q:
    """Plans (or rows of plans, through ``prefix``: "plan__", "task__plan__") that owe the month:
    the month falls, at least in part, within the plan's dates."""
    first, last = month_bounds(year, month)
    return Q(**{f"{prefix}starts_on__lte": last, f"{prefix}ends_on__gte": first})


class ActionPlanQuerySet(models.QuerySet):
    def owing(self, year: int, month: int) -> ActionPlanQuerySet:
        return self.filter(owes_q(year, month))

    def in_force(self, day: datetime.date) -> ActionPlanQuerySet:
        """执行中 on ``day``."""
        return self.filter(starts_on__lte=day, ends_on__gte=day)


class ActionPlan(models.Model):
    """行动方案: one imported plan document.

    ``start_year``–``end_year`` are the years of the document's title (方案期); ``starts_on`` and
    ``ends_on`` are the dates in force (by default 1 January of the first year to 31 December of
    the last), which the office may move — extend or close early — with a reason kept in the
    plan's history. Everything a plan owes follows from its dates: the months it reports on
    (those that fall within them), its years, its lifecycle (``status_on``), and the moment its
    figures freeze (``final_moment``).
    """

    title = models.CharField("方案名称", max_length=200, unique=True)
    start_year = models.PositiveSmallIntegerField("起始年度")
    end_year = models.PositiveSmallIntegerField("结束年度")
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期")
    preamble = models.TextField("导语", blank=True)
    closing_text = models.TextField("结语", blank=True)
    source_text = models.TextField("原文")
    source_sha256 = models.CharField("原文摘要", max_length=64)
    imported_at = models.DateTimeField("导入时间")
    history = HistoricalRecords(excluded_fields=["source_text"])

    objects = ActionPlanQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "行动方案"
        ordering = ["-starts_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_year__gte=models.F("start_year")), name="plan_years_ordered",
            ),
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="plan_dates_ordered"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        # A plan written without dates (a test, a bulk load) is in force over its title's years.
        if self.starts_on is None or self.ends_on is None:
            default_start, default_end = self.default_dates(self.start_year, self.end_year)
            self.starts_on, self.ends_on = self.starts_on or default_start, self.ends_on or default_end
        super().save(*args, **kwargs)

    @staticmethod
    def default_dates(start_year: int, end_year: int) -> tuple[datetime.date, datetime.date]:
        return datetime.date(start_year, 1, 1), datetime.date(end_year, 12, 31)

    @property
    def years(self) -> range:
        """The years the plan is in force, in whole or in part."""
        return range(self.starts_on.year, self.ends_on.year + 1)

    @property
    def months(self) -> list[tuple[int, int]]:
        """(year, month) of every month the plan owes, oldest first."""
        first, last = (self.starts_on.year, self.starts_on.month), (self.ends_on.year, self.ends_on.month)
        return [(y, m) for y in self.years for m in range(1, 13) if first <= (y, m) <= last]

    def owes(self, year: int, month: int) -> bool:
        first, last = month_bounds(year, month)
        return self.starts_on <= last and self.ends_on >= first

    def status_on(self, day: datetime.date) -> PlanStatus:
        if day < self.starts_on:
            return PlanStatus.UPCOMING
        return PlanStatus.ENDED if day > self.ends_on else PlanStatus.ACTIVE

    @property
    def status(self) -> PlanStatus:
        return self.status_on(timezone.localdate())

    @cached_property
    def final_day(self) -> datetime.date:
        """The day after the due date of its last month's returns: nothing falls due from then on,
        so the plan's figures are those of that day's start (one calendar read)."""
        from tasks.workdays import nth_working_day_of_month

        year, month = self.ends_on.year + self.ends_on.month // 12, self.ends_on.month % 12 + 1
        due = nth_working_day_of_month(year, month, settings.REPORT_DUE_WORKING_DAY).date
        return due + datetime.timedelta(days=1)

    @property
    def final_moment(self) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime.combine(self.final_day, datetime.time.min))

    def moment(self, at: datetime.datetime) -> datetime.datetime:
        """The moment whose figures count for ``at``: ``at`` itself, or the final moment once the
        plan has ended (its overdue days stop counting there)."""
        return min(at, self.final_moment)

    @property
    def ended_note(self) -> str:
        """「方案已于2022年12月31日结束」: said wherever an ended plan's figures are shown."""
        return f"方案已于{self.ends_on.year}年{self.ends_on.month}月{self.ends_on.day}日结束"


class PlanTarget(models.Model):
    """工作目标: the plan's goal paragraph for one year."""

    plan = models.ForeignKey(ActionPlan, verbose_name="行动方案", on_delete=models.CASCADE, related_name="targets")
    year = models.PositiveSmallIntegerField("年度")
    text = models.TextField("目标")
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "年度工作目标"
        ordering = ["year"]
        constraints = [models.UniqueConstraint(fields=["plan", "year"], name="one_target_per_plan_year")]

    def __str__(self) -> str:
        return f"{self.year}年工作目标"


class TaskGroup(models.Model):
    """任务组: （一）…（十） of 主要任务, or the whole 保障措施 / 工作要求 part."""

    plan = models.ForeignKey(ActionPlan, verbose_name="行动方案", on_delete=models.PROTECT, related_name="groups")
    kind = models.CharField("类别", max_length=20, choices=GroupKind.choices)
    number = models.PositiveSmallIntegerField("序号")
    title = models.CharField("名称", max_length=200)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "任务组"
        ordering = ["plan", "kind", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "kind", "number"], name="one_group_per_number"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def numeral(self) -> str:
        """「（三）」 for main groups, as the document writes it."""
        from tasks.plan_text import chinese_numeral

        return f"（{chinese_numeral(self.number)}）" if self.kind == GroupKind.MAIN else ""


class TaskQuerySet(models.QuerySet):
    def visible_to(self, user) -> TaskQuerySet:
        """Office, inspectors and leaders see every task; unit staff see the tasks on which
        their unit (or an office inside it) is lead or supporting unit."""
        if not user.is_authenticated:
            return self.none()
        if user.sees_everything:
            return self
        assigned = TaskAssignment.objects.filter(task=OuterRef("pk"), unit_id__in=user.scope_units())
        return self.filter(Exists(assigned))

    def active(self) -> TaskQuerySet:
        return self.filter(is_active=True)

    def for_unit(self, unit: Unit | int, role: str | None = None) -> TaskQuerySet:
        """Tasks on which the unit, or an office inside it, holds the role (any role if None)."""
        unit_id = unit.pk if isinstance(unit, Unit) else unit
        assigned = TaskAssignment.objects.filter(
            Q(unit_id=unit_id) | Q(unit__parent_id=unit_id), task=OuterRef("pk"),
        )
        if role:
            assigned = assigned.filter(role=role)
        return self.filter(Exists(assigned))

    def search(self, text: str) -> TaskQuerySet:
        """Match the code, title or full text."""
        text = text.strip()
        if not text:
            return self
        return self.filter(Q(code=text) | Q(title__icontains=text) | Q(text__icontains=text))

    def with_units(self) -> TaskQuerySet:
        """Group, plan and units in one extra query, whatever the number of tasks.

        The plan's document text is deferred (it is ~40 KB per row); units carry only what lists
        show — reading another unit field here would cost a query per unit.
        """
        units = TaskAssignment.objects.select_related("unit").only(
            "task_id", "role", "sort_order", "source_name",
            "unit__id", "unit__name", "unit__short_name", "unit__kind", "unit__parent_id",
        )
        return self.select_related("group", "plan").defer(
            "plan__source_text", "plan__preamble", "plan__closing_text"
        ).prefetch_related(models.Prefetch("assignments", units))


class Task(models.Model):
    """任务: a numbered task, safeguard measure or work requirement of a plan."""

    plan = models.ForeignKey(ActionPlan, verbose_name="行动方案", on_delete=models.PROTECT, related_name="tasks")
    group = models.ForeignKey(TaskGroup, verbose_name="任务组", on_delete=models.PROTECT, related_name="tasks")
    number = models.PositiveSmallIntegerField("序号")
    code = models.CharField("任务编号", max_length=20)
    title = models.CharField("任务名称", max_length=200)
    text = models.TextField("任务内容")
    time_node = models.TextField("时间节点", blank=True)
    sort_order = models.PositiveIntegerField("排序", default=0)
    # A task dropped from an edited plan text is retired, not deleted: its history stays.
    is_active = models.BooleanField("有效", default=True)
    units = models.ManyToManyField(Unit, through="TaskAssignment", related_name="tasks")
    history = HistoricalRecords()

    objects = TaskQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "任务"
        # By the plan's id, not its own ordering: that would join and sort every plan's tasks.
        ordering = ["plan_id", "sort_order"]
        indexes = [
            # The task lists (pages, API) read tasks in force in this order and count them: a
            # partial index serves both without reading the wide rows.
            models.Index(fields=["plan", "sort_order"], condition=Q(is_active=True), name="task_active_plan_order"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="one_task_per_code"),
            models.UniqueConstraint(fields=["group", "number"], name="one_task_per_group_number"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def kind(self) -> str:
        return self.group.kind  # hides a query unless group is selected

    def units_in_role(self, role: str) -> list[Unit]:
        """Units in one role, in the document's order; uses prefetched assignments if present."""
        rows = sorted(self.assignments.all(), key=lambda a: a.sort_order)
        return [a.unit for a in rows if a.role == role]

    @property
    def lead_units(self) -> list[Unit]:
        return self.units_in_role(AssignmentRole.LEAD)

    @property
    def supporting_units(self) -> list[Unit]:
        return self.units_in_role(AssignmentRole.SUPPORTING)


class TaskAssignment(models.Model):
    """A unit's role on a task, as the document names it."""

    task = models.ForeignKey(Task, verbose_name="任务", on_delete=models.CASCADE, related_name="assignments")
    unit = models.ForeignKey(Unit, verbose_name="单位", on_delete=models.PROTECT, related_name="assignments")
    role = models.CharField("角色", max_length=20, choices=AssignmentRole.choices)
    sort_order = models.PositiveSmallIntegerField("排序", default=0)
    source_name = models.CharField("原文写法", max_length=100, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "任务分工"
        ordering = ["task", "sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["task", "unit"], name="one_role_per_task_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.task.code} {self.get_role_display()} {self.unit.name}"


class IndicatorQuerySet(models.QuerySet):
    def visible_to(self, user) -> IndicatorQuerySet:
        """Plan-level indicators are open to all; task indicators follow their task."""
        if not user.is_authenticated:
            return self.none()
        if user.sees_everything:
            return self
        return self.filter(Q(task__isnull=True) | Q(task__in=Task.objects.visible_to(user)))


class Indicator(models.Model):
    """指标: a quantitative target, for one year of the plan or for its whole period."""

    plan = models.ForeignKey(ActionPlan, verbose_name="行动方案", on_delete=models.PROTECT, related_name="indicators")
    task = models.ForeignKey(
        Task, verbose_name="任务", null=True, blank=True,
        on_delete=models.PROTECT, related_name="indicators",
    )
    key = models.SlugField("标识", max_length=80)
    name = models.CharField("指标名称", max_length=200)
    year = models.PositiveSmallIntegerField("年度", null=True, blank=True, help_text="留空表示整个方案期")
    comparator = models.CharField("比较", max_length=10, choices=Comparator.choices)
    target_value = models.DecimalField("目标值", max_digits=14, decimal_places=2)
    target_max = models.DecimalField("目标上限", max_digits=14, decimal_places=2, null=True, blank=True)
    unit_of_measure = models.CharField("计量单位", max_length=30)
    source_excerpt = models.CharField("原文", max_length=300)
    sort_order = models.PositiveIntegerField("排序", default=0)
    history = HistoricalRecords()

    objects = IndicatorQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "指标"
        ordering = ["plan", "sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "key"], name="one_indicator_per_key"),
            models.CheckConstraint(
                condition=(
                    Q(comparator="range", target_max__isnull=False, target_max__gte=models.F("target_value"))
                    | (~Q(comparator="range") & Q(target_max__isnull=True))
                ),
                name="indicator_range_has_max",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def target_display(self) -> str:
        """「≤ 90 个工作日」, 「7–32 个工作日」: the target as the office reads it."""
        value = _plain(self.target_value)
        if self.comparator == Comparator.RANGE:
            return f"{value}–{_plain(self.target_max)} {self.unit_of_measure}"
        return f"{Comparator(self.comparator).label} {value} {self.unit_of_measure}"

    @property
    def period_display(self) -> str:
        return f"{self.year}年" if self.year else "方案期内"

    def target_met(self, actual: Decimal) -> bool:
        """Whether ``actual`` meets the target: the one rule, for the dashboards and every ledger."""
        target = self.target_value
        return {
            Comparator.LE: actual <= target,
            Comparator.GE: actual >= target,
            Comparator.EQ: actual == target,
            Comparator.RANGE: self.target_max is not None and target <= actual <= self.target_max,
        }[Comparator(self.comparator)]


class PlanImportRun(models.Model):
    """One import of a plan text uploaded in the portal, carried out by a background job."""

    filename = models.CharField("文件名", max_length=200)
    text = models.TextField("方案文本")
    with_seed_indicators = models.BooleanField("同时导入内置指标", default=False)
    status = models.CharField("状态", max_length=20, choices=ImportStatus.choices, default=ImportStatus.PREVIEW)
    plan = models.ForeignKey(ActionPlan, verbose_name="行动方案", null=True, blank=True,
                             on_delete=models.PROTECT, related_name="import_runs")
    changes = models.JSONField("变更", default=list, blank=True)
    error = models.TextField("错误", blank=True)
    created_by = models.ForeignKey(User, verbose_name="提交人", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("提交时间", auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "方案导入记录"
        ordering = ["-created_at"]
        indexes = [
            # plan_import_run_claim and the stale-run scan look up pending runs only.
            models.Index(fields=["created_at"], condition=Q(status="pending"), name="import_run_pending"),
        ]

    def __str__(self) -> str:
        return f"{self.filename}（{self.get_status_display()}）"

    @property
    def status_choice(self) -> ImportStatus:
        return ImportStatus(self.status)


def _plain(value: Decimal | None) -> str:
    """90.00 → 「90」, 1.50 → 「1.5」, 64170 → 「64170」."""
    if value is None:
        return ""
    text = format(value.normalize(), "f")
    return text
