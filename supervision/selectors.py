"""Reads of supervision. Every read goes through ``visible_to(user)``; list reads run a fixed
number of queries whatever the number of rows (each function says how many)."""

from __future__ import annotations

import collections
import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from supervision.choices import ExtensionStatus, FindingAction, FindingStatus, ItemKind, Level
from supervision.models import (
    Bulletin,
    Escalation,
    ExtensionRequest,
    Finding,
    FindingEvent,
    FindingEvidence,
    InspectionRound,
    MessengerWebhook,
    Rectification,
)
from supervision.services.ladder import (
    Calendar,
    Item,
    annual_plan_items,
    finding_items,
    item_for_annual_plan,
    item_for_finding,
    item_for_report,
    plans_frozen,
    report_items,
)
from tasks.choices import AssignmentRole, Light, UnitKind
from tasks.models import ActionPlan, ReportingPeriod, Task, TaskAssignment, Unit, User
from tasks.selectors.dispatch import TimelineEntry as TaskTimelineEntry
from tasks.workdays import working_days_between

# --- rounds ----------------------------------------------------------------------------------


def round_list(*, user: User) -> QuerySet[InspectionRound]:
    """Rounds with their finding counts (1 query; a page adds its count query)."""
    return (InspectionRound.objects.visible_to(user)
            .annotate(finding_count=Count("findings", distinct=True),
                      open_count=Count("findings", filter=~Q(findings__status=FindingStatus.CLOSED), distinct=True))
            .order_by("-year", "-quarter", "-pk"))


def round_get(*, user: User, pk: int) -> InspectionRound:
    return get_object_or_404(InspectionRound.objects.visible_to(user).prefetch_related("team", "units", "tasks"), pk=pk)


# --- findings --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FindingLight:
    light: Light
    days_left: int | None  # working days to the due date; negative when overdue; None when done
    reason: str

    @property
    def badge(self) -> str:
        return self.light.badge

    @property
    def overdue_days(self) -> int:
        """Working days past the due date (0 when not overdue)."""
        return -self.days_left if self.days_left and self.days_left < 0 else 0


def finding_light(finding: Finding, *, today: datetime.date, calendar: Calendar) -> FindingLight:
    """A finding handed in or closed has no clock running; otherwise ``owed_light``."""
    if not finding.is_pending_unit:
        return FindingLight(Light.GREEN, None, finding.get_status_display())
    return owed_light(due_date=finding.due_date, today=today, days_left=calendar.between(today, finding.due_date))


def owed_light(*, due_date: datetime.date, today: datetime.date, days_left: int) -> FindingLight:
    """The light of a rectification still owed — the one rule, on every page and dashboard: red
    once its due date has passed, yellow when due within the reminder window, green otherwise."""
    if today > due_date:
        return FindingLight(Light.RED, days_left, f"已逾期 {-days_left} 个工作日（截止 {due_date:%Y-%m-%d}）")
    if days_left <= settings.LADDER_REMINDER_WORKING_DAYS:
        when = "今天到期" if days_left == 0 else f"还有 {days_left} 个工作日到期"
        return FindingLight(Light.YELLOW, days_left, when)
    return FindingLight(Light.GREEN, days_left, f"还有 {days_left} 个工作日")


# --- findings and ladder steps at a moment (the dashboards, as of any month) -------------------------


@dataclass
class FindingAt:
    """A finding as its history row stood at a moment, with its light then."""

    finding_id: int
    number: str
    description: str
    unit_id: int
    unit_name: str
    due_date: datetime.date
    status: str
    state: FindingLight

    @property
    def light(self) -> str:
        return self.state.light.value

    @property
    def days_overdue(self) -> int:
        return self.state.overdue_days

    @property
    def days_left(self) -> int:
        return self.state.days_left


def findings_at(*, user: User, plan: ActionPlan, at: datetime.datetime) -> list[FindingAt]:
    """Findings the units still owed a rectification for at ``at`` (open or rectifying then), on the
    plan's tasks or on none, each with its light then (``owed_light``); a unit sees its own. Two
    queries (the history rows, the calendar entries)."""
    history = Finding.history.model
    latest = history.objects.filter(id=OuterRef("id"), history_date__lte=at).order_by("-history_date", "-history_id")
    rows = history.objects.filter(
        Q(task_id__in=Task.objects.filter(plan=plan).values("pk")) | Q(task_id__isnull=True),
        history_date__lte=at, history_id=Subquery(latest.values("history_id")[:1]),
        status__in=FindingStatus.pending_unit(),
    ).exclude(history_type="-")
    if not user.sees_everything:
        rows = rows.filter(unit_id__in=user.scope_units())
    rows = list(rows.values_list("id", "number", "description", "unit_id", "unit__name", "due_date", "status")
                .order_by("due_date", "id"))
    if not rows:
        return []
    day = timezone.localdate(at)
    calendar = Calendar(min(min(r[5] for r in rows), day), max(max(r[5] for r in rows), day))
    return [FindingAt(pk, number, description, unit_id, unit_name, due_date, status,
                      owed_light(due_date=due_date, today=day, days_left=calendar.between(day, due_date)))
            for pk, number, description, unit_id, unit_name, due_date, status in rows]


def escalations_at(*, user: User, plan: ActionPlan, at: datetime.datetime) -> collections.Counter:
    """(unit, level) → steps of the escalation ladder recorded from the plan's start up to ``at``
    (a unit: its own; 1 query)."""
    start = timezone.make_aware(datetime.datetime.combine(plan.starts_on, datetime.time.min))
    rows = Escalation.objects.filter(created_at__range=(start, at))
    if not user.sees_everything:
        rows = rows.filter(unit_id__in=user.scope_units())
    counted = rows.values_list("unit_id", "level").annotate(n=Count("id")).order_by()
    return collections.Counter({(unit_id, level): n for unit_id, level, n in counted})


def findings_with_lights(findings: list[Finding], *, today: datetime.date | None = None) -> list[Finding]:
    """Attach ``light`` to each finding (1 query for the calendar overrides, none if empty)."""
    today = today or timezone.localdate()
    pending = [f.due_date for f in findings if f.is_pending_unit]
    if not pending:
        for finding in findings:
            finding.light = FindingLight(Light.GREEN, None, finding.get_status_display())
        return findings
    calendar = Calendar(min([*pending, today]), max([*pending, today]))
    for finding in findings:
        finding.light = finding_light(finding, today=today, calendar=calendar)
    return findings


FINDING_ORDERINGS = {"due": ("due_date", "pk"), "-found": ("-found_on", "-pk"), "number": ("number",)}


def finding_list(*, user: User, status: str = "", unit_id: int | None = None, round_id: int | None = None,
                 severity: str = "", overdue: bool = False, today: datetime.date | None = None) -> QuerySet[Finding]:
    """Findings the user may see, filtered (the query itself: 1 with a page's count)."""
    today = today or timezone.localdate()
    findings = Finding.objects.visible_to(user).select_related("round", "unit", "task")
    if status:
        findings = findings.filter(status=status)
    if unit_id:
        findings = findings.filter(Q(unit_id=unit_id) | Q(unit__parent_id=unit_id))
    if round_id:
        findings = findings.filter(round_id=round_id)
    if severity:
        findings = findings.filter(severity=severity)
    if overdue:
        findings = findings.overdue(today)
    return findings.order_by("due_date", "pk")


def finding_get(*, user: User, pk: int) -> Finding:
    queryset = Finding.objects.visible_to(user).select_related("round", "unit", "task", "created_by")
    return get_object_or_404(queryset, pk=pk)


def finding_rectification(finding: Finding) -> Rectification | None:
    return Rectification.objects.filter(finding=finding).select_related("updated_by").first()


def finding_evidence(finding: Finding) -> list[FindingEvidence]:
    return list(finding.evidence.select_related("uploaded_by"))


def finding_evidence_get(*, user: User, pk: int) -> FindingEvidence:
    return get_object_or_404(
        FindingEvidence.objects.filter(finding__in=Finding.objects.visible_to(user)).select_related("finding"), pk=pk,
    )


def verification_queue(*, user: User) -> QuerySet[Finding]:
    """Rectifications handed in and waiting for an inspector, oldest first."""
    return (Finding.objects.visible_to(user).filter(status=FindingStatus.SUBMITTED)
            .select_related("round", "unit", "task", "rectification").order_by("updated_at", "pk"))


def finding_rejection(finding: Finding) -> FindingEvent | None:
    """The inspector's latest 退回整改 while the unit is revising (1 query, none otherwise): once
    rejected, a finding leaves 整改中 only by being handed in again."""
    if finding.status != FindingStatus.RECTIFYING:
        return None
    return (FindingEvent.objects.filter(finding=finding, action=FindingAction.REJECT)
            .select_related("actor").order_by("-at", "-pk").first())


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime.datetime
    who: str
    what: str
    detail: str = ""
    badge: str = ""
    url: str = ""


def finding_timeline(*, finding: Finding, extensions: list[ExtensionRequest] | None = None) -> list[TimelineEntry]:
    """Events, extension requests and ladder steps of one finding, oldest first (3 queries; 2
    when the page has read the extension requests already: ``finding_extensions``)."""
    entries = [TimelineEntry(e.at, str(e.actor), e.get_action_display(), e.comment, FindingStatus(e.to_status).badge)
               for e in FindingEvent.objects.filter(finding=finding).select_related("actor")]
    for ext in finding_extensions(finding) if extensions is None else extensions:
        entries.append(TimelineEntry(ext.requested_at, str(ext.requested_by),
                                     f"申请延期至 {ext.requested_due_date:%Y-%m-%d}", ext.reason, "badge-info"))
        if ext.decided_at:
            entries.append(TimelineEntry(ext.decided_at, str(ext.decided_by), f"延期申请{ext.get_status_display()}",
                                         ext.decision_comment, ext.status_choice.badge))
    entries += escalation_entries(Escalation.objects.filter(finding=finding))
    return sorted(entries, key=lambda e: e.at)


def escalation_entries(escalations: QuerySet[Escalation]) -> list[TimelineEntry]:
    """Ladder steps as timeline entries, with the unit's reply (1 query)."""
    from django.urls import reverse

    entries = []
    for esc in escalations.select_related("unit", "created_by", "replied_by"):
        who = str(esc.created_by) if esc.created_by else "系统"
        title = f"{esc.get_level_display()}{(' ' + esc.notice_code) if esc.notice_code else ''} → {esc.unit.short_name}"
        url = reverse("supervision:escalation-detail", args=[esc.pk])
        entries.append(TimelineEntry(esc.created_at, who, title, esc.message, esc.level_choice.badge, url))
        if esc.replied_at:
            entries.append(TimelineEntry(esc.replied_at, str(esc.replied_by), f"{esc.unit.short_name}回复"
                                         f"{esc.get_level_display()}", esc.reply, "badge-muted", url))
    return entries


def task_timeline_entries(*, user: User, task: Task) -> list[TaskTimelineEntry]:
    """The ladder steps about a task's reports and annual plans, in the shape of the task's own
    timeline (composed with it by xixian_portal.pages; 1 query)."""
    entries = []
    escalations = (Escalation.objects.visible_to(user).filter(task=task, finding__isnull=True)
                   .select_related("unit", "task", "period", "created_by", "replied_by"))
    for esc in escalations:
        url = reverse("supervision:escalation-detail", args=[esc.pk])
        code = f" {esc.notice_code}" if esc.notice_code else ""
        what = f"{esc.get_level_display()}{code}：{esc.item_label} → {esc.unit.short_name}"
        entries.append(TaskTimelineEntry(esc.created_at, str(esc.created_by or "系统"), what, esc.message, url))
        if esc.replied_at:
            entries.append(TaskTimelineEntry(esc.replied_at, str(esc.replied_by), f"{esc.unit.short_name}回复"
                                              f"{esc.get_level_display()}：{esc.item_label}", esc.reply, url))
    return entries


# --- extensions ------------------------------------------------------------------------------


def extension_queue(*, user: User) -> QuerySet[ExtensionRequest]:
    """Pending extension requests, oldest first (for the office)."""
    return (ExtensionRequest.objects.filter(status=ExtensionStatus.PENDING, finding__in=Finding.objects.visible_to(user))
            .select_related("finding", "finding__unit", "requested_by").order_by("requested_at", "pk"))


def extension_get(*, user: User, pk: int) -> ExtensionRequest:
    queryset = ExtensionRequest.objects.filter(finding__in=Finding.objects.visible_to(user))
    return get_object_or_404(queryset.select_related("finding", "finding__unit"), pk=pk)


def finding_extensions(finding: Finding) -> list[ExtensionRequest]:
    return list(finding.extensions.select_related("requested_by", "decided_by"))


# --- escalations -----------------------------------------------------------------------------


def escalation_list(*, user: User, level: str = "", unit_id: int | None = None,
                    awaiting_reply: bool = False) -> QuerySet[Escalation]:
    escalations = Escalation.objects.visible_to(user).select_related("unit", "finding", "task", "period", "created_by")
    if level:
        escalations = escalations.filter(level=level)
    if unit_id:
        escalations = escalations.filter(Q(unit_id=unit_id) | Q(unit__parent_id=unit_id))
    if awaiting_reply:
        escalations = escalations.filter(level__in=[Level.URGE, Level.NOTICE], replied_at__isnull=True)
    return escalations.order_by("-created_at", "-pk")


def escalation_get(*, user: User, pk: int) -> Escalation:
    queryset = Escalation.objects.visible_to(user).select_related(
        "unit", "finding", "finding__round", "task", "period", "created_by", "replied_by", "bulletin",
    ).prefetch_related("recipients")
    return get_object_or_404(queryset, pk=pk)


# --- overdue board ---------------------------------------------------------------------------


@dataclass
class OverdueRow:
    item: Item
    unit: Unit
    days_overdue: int
    levels: list[str]  # ladder steps already taken for the current due date
    task: Task | None = None
    finding: Finding | None = None


def overdue_board(*, user: User, today: datetime.date | None = None) -> list[OverdueRow]:
    """Every item past its due date and still owed — findings, this and last month's reports and
    annual plans — most overdue first, with the ladder steps taken (fixed query count)."""
    today = today or timezone.localdate()
    since = today - datetime.timedelta(days=settings.LADDER_LOOKBACK_DAYS)
    until = today - datetime.timedelta(days=1)
    frozen = plans_frozen(today)  # ended plans whose last returns fell due: no longer chased
    items = [*finding_items(until=until), *report_items(since=since, until=until, frozen=frozen),
             *annual_plan_items(since=since, until=until, frozen=frozen)]
    if not user.sees_everything:
        scope = set(user.scope_unit_ids())
        items = [i for i in items if i.unit_id in scope]
    calendar = Calendar(min([i.due_date for i in items], default=today), today)
    units = Unit.objects.in_bulk({i.unit_id for i in items})
    tasks = Task.objects.in_bulk({i.task_id for i in items if i.task_id})
    findings = Finding.objects.select_related("task").in_bulk({i.finding_id for i in items if i.finding_id})
    steps: dict[tuple, list[str]] = {}
    for row in Escalation.objects.filter(unit_id__in=units, due_date__lte=today).values(
            "item_kind", "finding_id", "task_id", "period_id", "year", "unit_id", "due_date", "level"):
        steps.setdefault(_row_ident(row), []).append(row["level"])
    rows = [OverdueRow(i, units[i.unit_id], calendar.between(i.due_date, today),
                       sorted(set(steps.get((i.kind, i.finding_id, i.task_id, i.period_id, i.year, i.unit_id, i.due_date), [])),
                              key=lambda lv: Level(lv).rank),
                       task=tasks.get(i.task_id) or (findings[i.finding_id].task if i.finding_id else None),
                       finding=findings.get(i.finding_id))
            for i in items]
    return sorted(rows, key=lambda r: (-r.days_overdue, r.unit.sort_order))


def _row_ident(row: dict) -> tuple:
    return (row["item_kind"], row["finding_id"], row["task_id"], row["period_id"], row["year"],
            row["unit_id"], row["due_date"])


# --- 通报 ------------------------------------------------------------------------------------


def bulletin_list() -> QuerySet[Bulletin]:
    return Bulletin.objects.annotate(entry_count=Count("entries"), unit_count=Count("entries__unit", distinct=True))


@dataclass
class BulletinUnit:
    unit: Unit
    entries: list[Escalation]


def bulletin_get(*, pk: int) -> Bulletin:
    return get_object_or_404(Bulletin, pk=pk)


def bulletin_units(*, user: User, bulletin: Bulletin) -> list[BulletinUnit]:
    """The month's 通报 by unit, the units with the most items first (1 query)."""
    entries = (Escalation.objects.visible_to(user).filter(bulletin=bulletin)
               .select_related("unit", "finding", "task", "period").order_by("unit__sort_order", "pk"))
    by_unit: dict[int, BulletinUnit] = {}
    for entry in entries:
        by_unit.setdefault(entry.unit_id, BulletinUnit(entry.unit, [])).entries.append(entry)
    return sorted(by_unit.values(), key=lambda b: (-len(b.entries), b.unit.sort_order))


# --- the unit's own --------------------------------------------------------------------------


@dataclass(frozen=True)
class HomeFigure:
    label: str
    count: int
    url: str
    urgent: bool = False  # drawn in red when not zero


def home_panel(*, user: User, today: datetime.date | None = None) -> dict | None:
    """The 督查督办 panel of the home page (composed by xixian_portal.pages): for a unit, its findings owed
    and overdue and the 催办/督办单 awaiting its reply; for the office and inspectors, what waits
    on them (2 queries)."""
    from django.urls import reverse

    today = today or timezone.localdate()
    counts = Finding.objects.visible_to(user).aggregate(
        pending=Count("pk", filter=Q(status__in=FindingStatus.pending_unit())),
        overdue=Count("pk", filter=Q(status__in=FindingStatus.pending_unit(), due_date__lt=today)),
        submitted=Count("pk", filter=Q(status=FindingStatus.SUBMITTED)),
    )
    findings = reverse("supervision:finding-list")
    overdue = HomeFigure("已逾期", counts["overdue"], f"{findings}?overdue=1", urgent=True)
    if not user.sees_everything:
        replies = escalation_list(user=user, awaiting_reply=True).count()
        figures = [HomeFigure("待整改", counts["pending"], findings), overdue,
                   HomeFigure("待回复的催办/督办单", replies, reverse("supervision:escalation-list") + "?awaiting=1",
                              urgent=True)]
        return {"title": "本单位督查问题", "url": findings, "figures": figures}
    waiting = ExtensionRequest.objects.filter(status=ExtensionStatus.PENDING).count()
    figures = [HomeFigure("待核验", counts["submitted"], reverse("supervision:verification-queue")), overdue,
               HomeFigure("待审批延期申请", waiting, reverse("supervision:extension-list"))]
    return {"title": "督查督办", "url": reverse("supervision:overdue-board"), "figures": figures}


# --- the ladder's pages: escalating by hand, extension decisions, 通报 months -----------------


@dataclass
class LadderTarget:
    """What the office escalates by hand: the item, the objects it is about, and how many
    working days it is overdue today (0 when not yet due)."""

    item: Item
    unit: Unit
    overdue_days: int
    task: Task | None = None
    finding: Finding | None = None
    period: ReportingPeriod | None = None


def ladder_target_get(*, user: User, finding_id: int | None = None, task_id: int | None = None,
                      unit_id: int | None = None, period_id: int | None = None, year: int | None = None,
                      today: datetime.date | None = None) -> LadderTarget:
    """The item a page names — a finding; a lead unit's monthly report on a task; or its annual
    work plan — if it exists and the user may see it, else 404 (2 to 4 queries)."""
    today = today or timezone.localdate()
    if finding_id is not None:
        finding = get_object_or_404(Finding.objects.visible_to(user).select_related("unit", "task"), pk=finding_id)
        item = item_for_finding(finding)
        return LadderTarget(item, finding.unit, _overdue_days(item, today), finding.task, finding)
    if task_id is None or unit_id is None or (period_id is None) == (year is None):
        raise Http404("没有指明要督办的事项。")
    task = get_object_or_404(Task.objects.visible_to(user).select_related("plan"), pk=task_id)
    lead = get_object_or_404(TaskAssignment.objects.filter(task=task, role=AssignmentRole.LEAD)
                             .exclude(unit__kind=UnitKind.COLLECTIVE).select_related("unit"), unit_id=unit_id)
    if period_id is not None:
        period = get_object_or_404(ReportingPeriod, pk=period_id)
        item = item_for_report(task=task, unit_id=lead.unit_id, period=period)
        return LadderTarget(item, lead.unit, _overdue_days(item, today), task, period=period)
    if year not in task.plan.years:
        raise Http404("该年度不在任务所属行动方案的期限内。")
    item = item_for_annual_plan(task=task, unit_id=lead.unit_id, year=year)
    return LadderTarget(item, lead.unit, _overdue_days(item, today), task)


def _overdue_days(item: Item, today: datetime.date) -> int:
    return working_days_between(item.due_date, today) if today > item.due_date else 0


def item_escalations(item: Item) -> list[Escalation]:
    """Every ladder step already taken about an item, whatever its due date then (1 query)."""
    if item.kind == ItemKind.FINDING:
        steps = Escalation.objects.filter(finding_id=item.finding_id)
    else:
        steps = Escalation.objects.filter(item_kind=item.kind, task_id=item.task_id, unit_id=item.unit_id,
                                          period_id=item.period_id, year=item.year)
    return list(steps.select_related("created_by").order_by("created_at", "pk"))


def extension_decided(*, user: User, limit: int = 50) -> list[ExtensionRequest]:
    """The latest extension requests already decided, newest decision first (1 query)."""
    return list(ExtensionRequest.objects.exclude(status=ExtensionStatus.PENDING)
                .filter(finding__in=Finding.objects.visible_to(user))
                .select_related("finding", "finding__unit", "requested_by", "decided_by")
                .order_by("-decided_at", "-pk")[:limit])


def bulletin_months(*, user: User) -> QuerySet[Bulletin]:
    """Every month's 通报 with the number of its entries and units the user may see: a unit
    counts only its own entries (1 query)."""
    mine = Q(entries__in=Escalation.objects.visible_to(user))
    return Bulletin.objects.annotate(entry_count=Count("entries", filter=mine, distinct=True),
                                     unit_count=Count("entries__unit", filter=mine, distinct=True))


def messenger_webhook_get() -> MessengerWebhook | None:
    """The office's messenger robot, if one is set (1 query)."""
    return MessengerWebhook.objects.select_related("updated_by").order_by("pk").first()
