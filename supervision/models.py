"""Supervision (督查督办): quarterly inspection rounds, their findings through rectification to
close-out (销号), extension requests, and the escalation ladder 提醒 → 催办 → 督办单 → 通报 that
chases findings, monthly progress reports and annual work plans alike.

Every row that records what happened is kept: foreign keys to it are PROTECT and the content
has its history (django-simple-history).
"""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from supervision.choices import (
    Channel,
    EvidenceStage,
    ExtensionStatus,
    FindingAction,
    FindingStatus,
    InspectionMethod,
    ItemKind,
    Level,
    RoundStatus,
    Severity,
)
from tasks.models import ReportingPeriod, Task, Unit, User
from tasks.models.dispatch import StoredFile


class Counter(models.Model):
    """A named sequence (finding numbers of a round, 督办单 numbers of a year), incremented
    under a row lock so that concurrent callers never draw the same number."""

    name = models.CharField(max_length=60, unique=True)
    value = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = verbose_name_plural = "编号计数器"

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class RoundQuerySet(models.QuerySet):
    def visible_to(self, user) -> RoundQuerySet:
        """Office, inspectors and leaders see every round; a unit sees the rounds that found
        something against it."""
        if not user.is_authenticated:
            return self.none()
        if user.sees_everything:
            return self
        return self.filter(pk__in=Finding.objects.visible_to(user).values("round_id"))


class InspectionRound(models.Model):
    """督查轮次: the quarter's joint special inspection by 督查室 and 营商办 (or another)."""

    year = models.PositiveSmallIntegerField("年度")
    quarter = models.PositiveSmallIntegerField("季度")
    title = models.CharField("名称", max_length=200)
    method = models.CharField("督查方式", max_length=20, choices=InspectionMethod.choices,
                              default=InspectionMethod.FOUR_NOS)
    team = models.ManyToManyField(User, verbose_name="督查组成员", blank=True, related_name="inspection_rounds")
    units = models.ManyToManyField(Unit, verbose_name="督查单位", blank=True, related_name="inspection_rounds")
    tasks = models.ManyToManyField(Task, verbose_name="督查任务", blank=True, related_name="inspection_rounds")
    start_date = models.DateField("开始日期", null=True, blank=True)
    end_date = models.DateField("结束日期", null=True, blank=True)
    status = models.CharField("状态", max_length=12, choices=RoundStatus.choices, default=RoundStatus.PLANNED)
    conclusion = models.TextField("督查结论", blank=True)
    created_by = models.ForeignKey(User, verbose_name="创建人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    history = HistoricalRecords(m2m_fields=[team, units, tasks])

    objects = RoundQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "督查轮次"
        ordering = ["-year", "-quarter", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["year", "quarter", "title"], name="one_round_per_title"),
            models.CheckConstraint(condition=Q(quarter__gte=1, quarter__lte=4), name="round_quarter_valid"),
            models.CheckConstraint(
                condition=Q(start_date__isnull=True) | Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="round_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def label(self) -> str:
        return f"{self.year}年第{self.quarter}季度"

    @property
    def status_choice(self) -> RoundStatus:
        return RoundStatus(self.status)


class FindingQuerySet(models.QuerySet):
    def visible_to(self, user) -> FindingQuerySet:
        """A unit sees only the findings against itself (or an office inside it)."""
        if not user.is_authenticated:
            return self.none()
        if user.sees_everything:
            return self
        return self.filter(unit_id__in=user.scope_units())

    def pending_unit(self) -> FindingQuerySet:
        """The deadline runs: the unit has not handed in its rectification."""
        return self.filter(status__in=FindingStatus.pending_unit())

    def overdue(self, today: datetime.date) -> FindingQuerySet:
        """Overdue is derived: past the due date and the rectification not handed in."""
        return self.pending_unit().filter(due_date__lt=today)


class Finding(models.Model):
    """督查问题: what an inspection found, against one responsible unit, to be rectified."""

    round = models.ForeignKey(InspectionRound, verbose_name="督查轮次", on_delete=models.PROTECT, related_name="findings")
    number = models.CharField("问题编号", max_length=30, unique=True)
    task = models.ForeignKey(Task, verbose_name="相关任务", null=True, blank=True,
                             on_delete=models.PROTECT, related_name="findings")
    unit = models.ForeignKey(Unit, verbose_name="责任单位", on_delete=models.PROTECT, related_name="findings")
    description = models.TextField("问题描述")
    severity = models.CharField("严重程度", max_length=10, choices=Severity.choices, default=Severity.GENERAL)
    deadline_working_days = models.PositiveSmallIntegerField("整改时限（工作日）")
    found_on = models.DateField("发现日期")
    due_date = models.DateField("整改截止日期")
    due_provisional = models.BooleanField("截止日期为暂定", default=False)
    status = models.CharField("状态", max_length=12, choices=FindingStatus.choices, default=FindingStatus.OPEN)
    closed_at = models.DateTimeField("销号时间", null=True, blank=True)
    created_by = models.ForeignKey(User, verbose_name="登记人", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    history = HistoricalRecords()

    objects = FindingQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "督查问题"
        ordering = ["-found_on", "-id"]
        indexes = [
            # The daily deadline scan and the overdue board read the findings still owed.
            models.Index(fields=["due_date"], condition=Q(status__in=["open", "rectifying"]),
                         name="finding_pending_due"),
            # The verification queue.
            models.Index(fields=["status", "updated_at"], name="finding_status_updated"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(deadline_working_days__gte=1), name="finding_deadline_positive"),
            models.CheckConstraint(condition=Q(due_date__gte=models.F("found_on")), name="finding_due_after_found"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.unit.short_name}"

    @property
    def status_choice(self) -> FindingStatus:
        return FindingStatus(self.status)

    @property
    def severity_choice(self) -> Severity:
        return Severity(self.severity)

    @property
    def is_pending_unit(self) -> bool:
        return self.status in FindingStatus.pending_unit()

    def is_overdue(self, today: datetime.date) -> bool:
        return self.is_pending_unit and today > self.due_date


class Rectification(models.Model):
    """整改情况: what the responsible unit did about a finding (one per finding, edited until
    it is closed out; every version is in the history)."""

    finding = models.OneToOneField(Finding, verbose_name="督查问题", on_delete=models.PROTECT,
                                   related_name="rectification")
    measures = models.TextField("整改措施", blank=True)
    result = models.TextField("整改结果", blank=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    updated_by = models.ForeignKey(User, verbose_name="填报人", on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "整改情况"

    def __str__(self) -> str:
        return f"{self.finding.number} 整改情况"


class FindingEvidence(StoredFile):
    """A file from the inspection, or the unit's proof of rectification (same rules as the
    佐证材料 of progress reports)."""

    finding = models.ForeignKey(Finding, verbose_name="督查问题", on_delete=models.PROTECT, related_name="evidence")
    stage = models.CharField("类别", max_length=15, choices=EvidenceStage.choices)

    class Meta:
        verbose_name = verbose_name_plural = "督查问题材料"
        ordering = ["uploaded_at", "id"]


class FindingEvent(models.Model):
    """One step of a finding's life with who, when and the comment (a rejection's reason)."""

    finding = models.ForeignKey(Finding, verbose_name="督查问题", on_delete=models.PROTECT, related_name="events")
    action = models.CharField("操作", max_length=10, choices=FindingAction.choices)
    from_status = models.CharField("原状态", max_length=12, choices=FindingStatus.choices, blank=True)
    to_status = models.CharField("新状态", max_length=12, choices=FindingStatus.choices)
    comment = models.TextField("意见", blank=True)
    actor = models.ForeignKey(User, verbose_name="操作人", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "督查问题记录"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()}（{self.actor}，{self.at:%Y-%m-%d %H:%M}）"


class ExtensionRequest(models.Model):
    """延期申请: asked by the unit before the due date; the office grants a new date or refuses."""

    finding = models.ForeignKey(Finding, verbose_name="督查问题", on_delete=models.PROTECT, related_name="extensions")
    reason = models.TextField("申请理由")
    requested_due_date = models.DateField("申请延至")
    status = models.CharField("状态", max_length=10, choices=ExtensionStatus.choices, default=ExtensionStatus.PENDING)
    previous_due_date = models.DateField("原截止日期")
    granted_due_date = models.DateField("批准延至", null=True, blank=True)
    decision_comment = models.TextField("审批意见", blank=True)
    requested_by = models.ForeignKey(User, verbose_name="申请人", on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField("申请时间", auto_now_add=True)
    decided_by = models.ForeignKey(User, verbose_name="审批人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "延期申请"
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["finding"], condition=Q(status="pending"),
                                    name="one_pending_extension_per_finding"),
            models.CheckConstraint(condition=Q(requested_due_date__gt=models.F("previous_due_date")),
                                   name="extension_moves_due_date_later"),
        ]

    def __str__(self) -> str:
        return f"{self.finding.number} 延期至 {self.requested_due_date:%Y-%m-%d}"

    @property
    def status_choice(self) -> ExtensionStatus:
        return ExtensionStatus(self.status)


class Bulletin(models.Model):
    """通报: the month's list of units with overdue or repeatedly returned items (its entries
    are the escalations at level 通报 that point to it)."""

    year = models.PositiveSmallIntegerField("年度")
    month = models.PositiveSmallIntegerField("月份")
    compiled_at = models.DateTimeField("汇总时间")
    compiled_by = models.ForeignKey(User, verbose_name="汇总人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = "通报"
        ordering = ["-year", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["year", "month"], name="one_bulletin_per_month"),
            models.CheckConstraint(condition=Q(month__gte=1, month__lte=12), name="bulletin_month_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.year}年{self.month}月通报"

    @property
    def label(self) -> str:
        return f"{self.year}年{self.month}月"


class EscalationQuerySet(models.QuerySet):
    def visible_to(self, user) -> EscalationQuerySet:
        """A unit sees the steps addressed to it; office, inspectors and leaders see all."""
        if not user.is_authenticated:
            return self.none()
        if user.sees_everything:
            return self
        return self.filter(unit_id__in=user.scope_units())


class Escalation(models.Model):
    """One step of the ladder sent about one item to its responsible unit.

    ``key`` makes each automatic step happen once: item, level, unit and the due date it chases
    (an extension moves the due date and so starts the ladder again). The scan and two beat
    processes can race; the unique key lets exactly one of them record the step.
    """

    key = models.CharField("去重键", max_length=200, unique=True)
    level = models.CharField("级别", max_length=10, choices=Level.choices)
    item_kind = models.CharField("事项类型", max_length=12, choices=ItemKind.choices)
    finding = models.ForeignKey(Finding, verbose_name="督查问题", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="escalations")
    task = models.ForeignKey(Task, verbose_name="任务", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="escalations")
    period = models.ForeignKey(ReportingPeriod, verbose_name="填报期", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="escalations")
    year = models.PositiveSmallIntegerField("方案年度", null=True, blank=True)
    unit = models.ForeignKey(Unit, verbose_name="责任单位", on_delete=models.PROTECT, related_name="escalations")
    due_date = models.DateField("原截止日期")
    overdue_days = models.SmallIntegerField("逾期工作日", default=0)
    message = models.TextField("内容")
    recipients = models.ManyToManyField(User, verbose_name="接收人", blank=True, related_name="escalations_received")
    channels = models.CharField("发送渠道", max_length=60, blank=True, help_text="逗号分隔：inbox、email、webhook")
    is_manual = models.BooleanField("人工发起", default=False)
    created_by = models.ForeignKey(User, verbose_name="发起人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("时间", auto_now_add=True)
    # 督办单: numbered per year, with the action required and a new deadline.
    notice_year = models.PositiveSmallIntegerField("督办单年度", null=True, blank=True)
    notice_number = models.PositiveIntegerField("督办单号", null=True, blank=True)
    required_action = models.TextField("督办要求", blank=True)
    new_due_date = models.DateField("限期办结日期", null=True, blank=True)
    bulletin = models.ForeignKey(Bulletin, verbose_name="通报", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="entries")
    # The unit's answer to a 催办 or 督办单.
    reply = models.TextField("单位回复", blank=True)
    replied_by = models.ForeignKey(User, verbose_name="回复人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    replied_at = models.DateTimeField("回复时间", null=True, blank=True)
    # Claimed before the messenger post: a retried or repeated job posts once.
    webhook_sent_at = models.DateTimeField("企业微信推送时间", null=True, blank=True)

    objects = EscalationQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "督办记录"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["unit", "created_at"], name="escalation_unit_created"),
            models.Index(fields=["level", "created_at"], name="escalation_level_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(item_kind=ItemKind.FINDING, finding__isnull=False)
                    | Q(item_kind=ItemKind.REPORT, finding__isnull=True, task__isnull=False, period__isnull=False)
                    | Q(item_kind=ItemKind.ANNUAL_PLAN, finding__isnull=True, task__isnull=False, year__isnull=False)
                ),
                name="escalation_item_complete",
            ),
            models.UniqueConstraint(fields=["notice_year", "notice_number"], name="one_notice_per_number"),
            models.CheckConstraint(
                condition=~Q(level=Level.NOTICE) | Q(notice_number__isnull=False, new_due_date__isnull=False),
                name="notice_numbered_with_deadline",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()}：{self.item_label}"

    @property
    def level_choice(self) -> Level:
        return Level(self.level)

    @property
    def notice_code(self) -> str:
        """督办单编号, as printed: 西咸营商督〔2026〕12号."""
        if self.notice_number is None:
            return ""
        return f"西咸营商督〔{self.notice_year}〕{self.notice_number}号"

    @property
    def item_label(self) -> str:
        """Hides queries unless finding, task and period are selected."""
        if self.item_kind == ItemKind.FINDING:
            return f"督查问题 {self.finding.number}"
        if self.item_kind == ItemKind.REPORT:
            return f"{self.period.label}进展填报 {self.task.code}"
        return f"{self.year}年度工作方案 {self.task.code}"

    @property
    def channel_labels(self) -> str:
        return "、".join(Channel(c).label for c in self.channels.split(",") if c)

    @property
    def awaits_reply(self) -> bool:
        return self.level in {Level.URGE, Level.NOTICE} and not self.replied_at


class MessengerWebhook(models.Model):
    """The office's enterprise-messenger robot (企业微信群机器人): ladder steps are also posted
    there. One row; the URL is checked when saved and again before every post."""

    url = models.URLField("机器人地址", max_length=500)
    is_active = models.BooleanField("启用", default=True)
    updated_by = models.ForeignKey(User, verbose_name="设置人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField("设置时间", auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "企业微信机器人"

    def __str__(self) -> str:
        return self.url
