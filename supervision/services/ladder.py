"""The escalation ladder (督办升级): 提醒 → 催办 → 督办单 → 通报, for findings, monthly progress
reports and annual work plans alike.

- 提醒: LADDER_REMINDER_WORKING_DAYS working days (or fewer) before the due date;
- 催办: on the due date if not done, or by the office by hand with a message;
- 督办单: LADDER_NOTICE_OVERDUE_WORKING_DAYS working days overdue, or by the office by hand:
  numbered, with the action required and a new deadline;
- 通报: compiled per month: every item that drew a 督办单, is still overdue at the month's end, or
  was returned BULLETIN_RETURNS times or more.

Each step is an ``Escalation`` under a unique key — item, level, unit and the due date it chases
— inserted in its own savepoint, so that a scan run twice, two scans at once or a scan re-run
after a worker died records every step exactly once. Messages leave after the commit.
"""

from __future__ import annotations

import collections
import datetime
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from supervision.choices import Channel, FindingAction, FindingStatus, ItemKind, Level
from supervision.models import Bulletin, Escalation, Finding, FindingEvent, MessengerWebhook
from supervision.services.inspections import SupervisionError, next_number
from supervision.services.messenger import webhook_post
from tasks.choices import AssignmentRole, FilingStatus, ReviewAction, Role, UnitKind
from tasks.models import (
    ActionPlan,
    AnnualWorkPlan,
    ProgressReport,
    ReportingPeriod,
    ReviewEvent,
    Task,
    TaskAssignment,
    User,
    WorkingDayOverride,
    owes_q,
)
from tasks.queueing import enqueue_on_commit
from tasks.services.dispatch import annual_plan_due_date
from tasks.services.inbox import notification_email_requeue, notify, office_users, unit_users
from tasks.workdays import add_working_days, is_working_day, working_days_between

DONE = (FilingStatus.SUBMITTED, FilingStatus.APPROVED)


# --- items the ladder chases -----------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One thing a unit owes by a date: a finding's rectification, a month's progress report on
    a task, or a year's annual work plan on a task."""

    kind: str
    unit_id: int
    due_date: datetime.date
    label: str
    finding_id: int | None = None
    task_id: int | None = None
    period_id: int | None = None
    year: int | None = None

    @property
    def ident(self) -> str:
        if self.kind == ItemKind.FINDING:
            return f"finding:{self.finding_id}"
        if self.kind == ItemKind.REPORT:
            return f"report:{self.task_id}:{self.unit_id}:{self.period_id}"
        return f"annual:{self.task_id}:{self.unit_id}:{self.year}"

    def row_fields(self) -> dict:
        return {"item_kind": self.kind, "unit_id": self.unit_id, "due_date": self.due_date,
                "finding_id": self.finding_id, "task_id": self.task_id,
                "period_id": self.period_id, "year": self.year}


def item_for_finding(finding: Finding) -> Item:
    return Item(ItemKind.FINDING, finding.unit_id, finding.due_date, f"督查问题 {finding.number}",
                finding_id=finding.pk)


def item_for_report(*, task: Task, unit_id: int, period: ReportingPeriod) -> Item:
    return Item(ItemKind.REPORT, unit_id, period.due_date, f"{period.label}进展填报（{task.code}）",
                task_id=task.pk, period_id=period.pk)


def item_for_annual_plan(*, task: Task, unit_id: int, year: int) -> Item:
    return Item(ItemKind.ANNUAL_PLAN, unit_id, annual_plan_due_date(year), f"{year}年度工作方案（{task.code}）",
                task_id=task.pk, year=year)


def item_of(escalation: Escalation) -> Item:
    """The item an escalation is about (finding, task and period selected, or queries)."""
    if escalation.item_kind == ItemKind.FINDING:
        return item_for_finding(escalation.finding)
    if escalation.item_kind == ItemKind.REPORT:
        return item_for_report(task=escalation.task, unit_id=escalation.unit_id, period=escalation.period)
    return item_for_annual_plan(task=escalation.task, unit_id=escalation.unit_id, year=escalation.year)


def plans_frozen(today: datetime.date) -> list[int]:
    """Plans whose final moment has passed (their last returns fell due before today): their
    figures are frozen, and nothing of theirs is chased any more (1 query, and the calendar of
    each recently ended plan's last due date)."""
    ended = ActionPlan.objects.filter(ends_on__lt=today).only("pk", "start_year", "end_year", "starts_on", "ends_on")
    return [plan.pk for plan in ended if plan.final_day <= today]


def _lead_assignments(year: int, month: int | None = None, *, frozen: list[int] = ()) -> list[TaskAssignment]:
    """Lead units that file on the tasks in force of the plans that owe the month (or, without
    one, that are in force in some part of ``year``), but not of the ``frozen`` plans."""
    owing = (owes_q(year, month, prefix="task__plan__") if month else
             Q(task__plan__starts_on__year__lte=year, task__plan__ends_on__year__gte=year))
    return list(
        TaskAssignment.objects.filter(owing, role=AssignmentRole.LEAD, task__is_active=True)
        .exclude(unit__kind=UnitKind.COLLECTIVE).exclude(task__plan_id__in=list(frozen))
        .select_related("task").order_by("task__sort_order", "sort_order")
    )


def report_items(*, since: datetime.date, until: datetime.date, frozen: list[int]) -> list[Item]:
    """Monthly reports due in [since, until] and not submitted, of plans not ``frozen``
    (``plans_frozen``): 3 queries per period."""
    items = []
    for period in ReportingPeriod.objects.filter(due_date__range=(since, until)).order_by("due_date"):
        done = set(ProgressReport.objects.filter(period=period, status__in=DONE).values_list("task_id", "unit_id"))
        items += [item_for_report(task=a.task, unit_id=a.unit_id, period=period)
                  for a in _lead_assignments(period.year, period.month, frozen=frozen)
                  if (a.task_id, a.unit_id) not in done]
    return items


def annual_plan_items(*, since: datetime.date, until: datetime.date, frozen: list[int]) -> list[Item]:
    """Annual work plans due in [since, until] and not submitted, of plans not ``frozen``."""
    items = []
    for year in range(since.year, until.year + 1):
        if not since <= annual_plan_due_date(year) <= until:
            continue
        done = set(AnnualWorkPlan.objects.filter(year=year, status__in=DONE).values_list("task_id", "unit_id"))
        items += [item_for_annual_plan(task=a.task, unit_id=a.unit_id, year=year)
                  for a in _lead_assignments(year, frozen=frozen) if (a.task_id, a.unit_id) not in done]
    return items


def finding_items(*, until: datetime.date) -> list[Item]:
    """Every finding still owed and due by ``until``, however long overdue (one query)."""
    return [item_for_finding(f) for f in Finding.objects.pending_unit().filter(due_date__lte=until).order_by("due_date", "pk")]


# --- which step is due -----------------------------------------------------------------------


class Calendar:
    """Working days between dates around today, from one read of the office's overrides."""

    def __init__(self, start: datetime.date, end: datetime.date):
        self.overrides = dict(WorkingDayOverride.objects.filter(date__range=(start, end)).values_list("date", "is_working"))

    def between(self, start: datetime.date, end: datetime.date) -> int:
        return working_days_between(start, end, overrides=self.overrides)


def steps_due(item: Item, *, today: datetime.date, calendar: Calendar) -> list[tuple[str, int]]:
    """The automatic steps the item has reached today, with its working days overdue (negative:
    days left). A step already recorded for this due date is skipped by its key."""
    days_left = calendar.between(today, item.due_date)
    steps = []
    if 0 < days_left <= settings.LADDER_REMINDER_WORKING_DAYS:
        steps.append((Level.REMINDER, -days_left))
    if today >= item.due_date:
        steps.append((Level.URGE, -days_left))
    if -days_left >= settings.LADDER_NOTICE_OVERDUE_WORKING_DAYS:
        steps.append((Level.NOTICE, -days_left))
    return steps


def step_key(item: Item, level: str) -> str:
    return f"{item.ident}:{level}:u{item.unit_id}:{item.due_date:%Y%m%d}"


# --- recording and delivering a step ---------------------------------------------------------


@dataclass
class Step:
    item: Item
    level: str
    key: str
    message: str
    overdue_days: int = 0
    required_action: str = ""
    new_due_date: datetime.date | None = None
    bulletin: Bulletin | None = None
    user: User | None = None
    on: datetime.date | None = None  # the scan's day (a 督办单 is numbered in its year); default today
    days_left: int = 0  # working days to the due date, for a 提醒


def _title(step: Step, escalation: Escalation) -> str:
    item, days = step.item, step.overdue_days
    if step.level == Level.REMINDER:
        return f"【提醒】{item.label}将于 {item.due_date:%Y-%m-%d} 到期（还有 {step.days_left} 个工作日）"
    if step.level == Level.URGE:
        state = f"已逾期 {days} 个工作日" if days > 0 else "今天到期"
        return f"【催办】{item.label}{state}，请尽快办理"
    if step.level == Level.NOTICE:
        return f"【督办单】{escalation.notice_code}：{item.label}，请于 {step.new_due_date:%Y-%m-%d} 前办结"
    return f"【通报】{step.bulletin.label}通报：{item.label}"


def _record(step: Step) -> Escalation | None:
    """Insert the step under its key and tell the unit; None if the key is taken (the step was
    recorded by an earlier or a concurrent run). The caller holds the transaction."""
    notice = {}
    try:
        with transaction.atomic():
            if step.level == Level.NOTICE:
                year = (step.on or timezone.localdate()).year
                notice = {"notice_year": year, "notice_number": next_number(f"notice:{year}")}
            escalation = Escalation.objects.create(
                key=step.key, level=step.level, **step.item.row_fields(), overdue_days=step.overdue_days,
                message=step.message, required_action=step.required_action, new_due_date=step.new_due_date,
                bulletin=step.bulletin, is_manual=step.user is not None, created_by=step.user, **notice,
            )
    except IntegrityError:
        return None
    recipients = unit_users(unit_id=step.item.unit_id)
    escalation.recipients.set(recipients)
    url = reverse("supervision:escalation-detail", args=[escalation.pk])
    notify(recipients=recipients, title=_title(step, escalation), body=step.message, url=url,
           key=f"escalation:{escalation.pk}")
    channels = [Channel.INBOX] if recipients else []
    if any(u.email and u.email_notifications for u in recipients):
        channels.append(Channel.EMAIL)
    if MessengerWebhook.objects.filter(is_active=True).exists():
        from supervision.jobs import webhook_post_job  # jobs import services

        channels.append(Channel.WEBHOOK)
        enqueue_on_commit(webhook_post_job, escalation.pk)
    escalation.channels = ",".join(channels)
    escalation.save(update_fields=["channels"])
    return escalation


def _auto_message(item: Item, level: str, overdue: int, new_due: datetime.date | None) -> str:
    what = {ItemKind.FINDING: "请按要求完成整改并提交核验。", ItemKind.REPORT: "请登录平台提交进展填报。",
            ItemKind.ANNUAL_PLAN: "请登录平台提交年度工作方案。"}[item.kind]
    if level == Level.REMINDER:
        return f"{item.label}将于 {item.due_date:%Y-%m-%d} 到期。{what}"
    if level == Level.URGE:
        return f"{item.label}截止日期为 {item.due_date:%Y-%m-%d}，目前尚未完成。{what}"
    return (f"{item.label}截止日期为 {item.due_date:%Y-%m-%d}，已逾期 {overdue} 个工作日仍未完成。"
            f"请于 {new_due:%Y-%m-%d} 前办结并书面反馈办理情况。")


@dataclass
class ScanResult:
    skipped: bool = False
    recorded: collections.Counter = field(default_factory=collections.Counter)
    bulletin: Bulletin | None = None
    requeued: int = 0

    def __str__(self) -> str:
        if self.skipped:
            return "非工作日，不扫描"
        by_rank = sorted(self.recorded.items(), key=lambda pair: Level(pair[0]).rank)
        sent = "、".join(f"{Level(level).label} {n} 条" for level, n in by_rank) or "无新增督办"
        compiled = f"；已汇总{self.bulletin}" if self.bulletin else ""
        return f"{sent}{compiled}；补发 {self.requeued} 条"


ALL_KINDS = frozenset(ItemKind.values)


def deadline_scan(*, today: datetime.date | None = None, kinds: frozenset[str] = ALL_KINDS,
                  compile_bulletin: bool = True) -> ScanResult:
    """The daily scan: every item's due steps, once each; last month's 通报 once; what could not
    be queued earlier is queued again. Does nothing on a day off (the calendar decides, not the
    crontab). Each step commits on its own: a scan that dies half-way keeps what it recorded and
    the next run records the rest.

    ``kinds`` and ``compile_bulletin`` narrow a scan replayed over past days (the demo chases
    findings only and leaves the 通报 to the office); the daily job uses the defaults."""
    today = today or timezone.localdate()
    if not is_working_day(today):
        return ScanResult(skipped=True)
    # First, so that it picks up only what earlier runs could not queue (this run's own
    # messages are queued as they are written).
    result = ScanResult(requeued=notification_email_requeue() + webhook_requeue())
    # The last day still within N working days: the day before the (N+1)-th working day, so
    # that a due date on a weekend or holiday right after the N-th working day is reminded now.
    horizon = (add_working_days(today, settings.LADDER_REMINDER_WORKING_DAYS + 1).date
               - datetime.timedelta(days=1))
    since = today - datetime.timedelta(days=settings.LADDER_LOOKBACK_DAYS)
    frozen = plans_frozen(today)
    sources = {ItemKind.FINDING: lambda: finding_items(until=horizon),
               ItemKind.REPORT: lambda: report_items(since=since, until=horizon, frozen=frozen),
               ItemKind.ANNUAL_PLAN: lambda: annual_plan_items(since=since, until=horizon, frozen=frozen)}
    items = [item for kind, source in sources.items() if kind in kinds for item in source()]
    # Today included: the days from today to a due date ahead are counted too.
    calendar = Calendar(min([today, *(i.due_date for i in items)]), horizon)
    due = [(item, level, overdue) for item in items for level, overdue in steps_due(item, today=today, calendar=calendar)]
    taken = set(Escalation.objects.filter(key__in=[step_key(i, lv) for i, lv, _ in due]).values_list("key", flat=True))
    notice_due = add_working_days(today, settings.LADDER_NOTICE_DEADLINE_WORKING_DAYS).date
    for item, level, overdue in due:
        key = step_key(item, level)
        if key in taken:
            continue
        new_due = notice_due if level == Level.NOTICE else None
        step = Step(item, level, key, _auto_message(item, level, overdue, new_due), overdue_days=max(overdue, 0),
                    required_action=_auto_message(item, level, overdue, new_due) if new_due else "", new_due_date=new_due,
                    on=today, days_left=max(-overdue, 0))
        with transaction.atomic():
            if _record(step):
                result.recorded[level] += 1
    last_month = today.replace(day=1) - datetime.timedelta(days=1)
    if compile_bulletin and not Bulletin.objects.filter(year=last_month.year, month=last_month.month).exists():
        result.bulletin = bulletin_compile(year=last_month.year, month=last_month.month)
    return result


# --- by hand ---------------------------------------------------------------------------------


def item_not_owed(item: Item) -> str:
    """Why the unit owes nothing on the item (so there is nothing to chase), or "" if it does:
    a finding already handed in or closed; a report or annual plan filed by a unit that is not a
    lead unit of the task, outside the plan's dates, of a plan frozen since its last returns fell
    due, or already submitted."""
    if item.kind == ItemKind.FINDING:
        finding = Finding.objects.get(pk=item.finding_id)
        return "" if finding.is_pending_unit else f"该问题当前为「{finding.get_status_display()}」，无需督办。"
    task = Task.objects.select_related("plan").get(pk=item.task_id)
    period = None if item.kind == ItemKind.ANNUAL_PLAN else ReportingPeriod.objects.get(pk=item.period_id)
    year, month = (item.year, None) if period is None else (period.year, period.month)
    if not TaskAssignment.objects.filter(task=task, unit_id=item.unit_id, role=AssignmentRole.LEAD).exists():
        return "该单位不是此任务的牵头单位，没有这项填报。"
    if year not in task.plan.years or (month and not task.plan.owes(year, month)):
        return f"{year}年{f'{month}月' if month else ''}不在任务所属行动方案的执行期内。"
    if task.plan.final_day <= timezone.localdate():
        return f"{task.plan.ended_note}，其填报已不再督办。"
    filings = (AnnualWorkPlan.objects.filter(year=item.year) if item.kind == ItemKind.ANNUAL_PLAN
               else ProgressReport.objects.filter(period_id=item.period_id))
    if filings.filter(task_id=item.task_id, unit_id=item.unit_id, status__in=DONE).exists():
        return "该单位已提交这项填报，无需督办。"
    return ""


@transaction.atomic
def escalation_send(*, user: User, item: Item, level: str, message: str, required_action: str = "",
                    new_due_date: datetime.date | None = None) -> Escalation:
    """催办 or 督办单 issued by the office at any time, with its own message."""
    if not user.is_office:
        raise PermissionDenied("只有新区营商办可以发起催办和督办。")
    if level not in (Level.URGE, Level.NOTICE):
        raise SupervisionError("只能人工发起催办或督办单。")
    errors = {}
    if not message.strip():
        errors["message"] = "请填写催办内容。" if level == Level.URGE else "请填写督办事由。"
    if level == Level.NOTICE:
        if not required_action.strip():
            errors["required_action"] = "请填写督办要求。"
        if new_due_date is None or new_due_date <= timezone.localdate():
            errors["new_due_date"] = "限期办结日期应晚于今天。"
    if errors:
        raise SupervisionError("请按提示修改后再发送。", errors)
    refusal = item_not_owed(item)
    if refusal:
        raise SupervisionError(refusal)
    today = timezone.localdate()
    overdue = max(0, working_days_between(item.due_date, today)) if today > item.due_date else 0
    step = Step(item, level, f"{item.ident}:{level}:manual:{uuid.uuid4().hex}", message.strip(),
                overdue_days=overdue, required_action=required_action.strip(),
                new_due_date=new_due_date if level == Level.NOTICE else None, user=user)
    return _record(step)


@transaction.atomic
def escalation_reply(*, user: User, escalation: Escalation, text: str) -> Escalation:
    """The unit answers a 催办 or 督办单 (once); the office is told."""
    escalation = Escalation.objects.select_for_update(of=("self",)).select_related("unit").get(pk=escalation.pk)
    if not Escalation.objects.visible_to(user).filter(pk=escalation.pk).exists():
        raise Http404
    if escalation.unit_id not in user.scope_unit_ids() or user.role != Role.UNIT_STAFF:
        raise PermissionDenied("只有责任单位可以回复。")
    if escalation.level not in (Level.URGE, Level.NOTICE):
        raise SupervisionError("提醒和通报不需要回复。")
    if escalation.replied_at:
        raise SupervisionError("本单位已回复过。")
    if not text.strip():
        raise SupervisionError("请填写回复内容。", {"reply": "请填写回复内容。"})
    escalation.reply, escalation.replied_by, escalation.replied_at = text.strip(), user, timezone.now()
    escalation.save(update_fields=["reply", "replied_by", "replied_at"])
    recipients = office_users() + ([escalation.created_by] if escalation.created_by else [])
    notify(recipients=recipients, title=f"{escalation.unit.short_name}回复了{escalation.get_level_display()}",
           body=escalation.reply, url=reverse("supervision:escalation-detail", args=[escalation.pk]))
    return escalation


# --- 通报 ------------------------------------------------------------------------------------


def _month_bounds(year: int, month: int) -> tuple[datetime.date, datetime.date]:
    first = datetime.date(year, month, 1)
    following = datetime.date(year + month // 12, month % 12 + 1, 1)
    return first, following - datetime.timedelta(days=1)


def bulletin_entries(*, year: int, month: int) -> dict[str, tuple[Item, list[str]]]:
    """The items on the month's 通报 with their reasons, by item."""
    first, last = _month_bounds(year, month)
    entries: dict[str, tuple[Item, list[str]]] = {}

    def add(item: Item, reason: str) -> None:
        entries.setdefault(item.ident, (item, []))[1].append(reason)

    notices = (Escalation.objects.filter(level=Level.NOTICE, created_at__date__range=(first, last))
               .select_related("finding", "task", "period").order_by("created_at", "pk"))
    for notice in notices:
        add(item_of(notice), f"逾期未办结，已下发督办单 {notice.notice_code}")
    for finding in _findings_overdue_at(last):
        add(item_for_finding(finding), f"整改逾期（截止 {finding.due_date:%Y-%m-%d}），月末仍未提交")
    for item, total in _returned_repeatedly(first, last):
        add(item, f"累计被退回 {total} 次")
    return entries


def _findings_overdue_at(last: datetime.date) -> list[Finding]:
    """Findings whose due date had passed at the month's end and which were still owed then,
    told from their events (a finding closed since still counts for that month)."""
    candidates = list(Finding.objects.filter(due_date__lt=last, found_on__lte=last)
                      .exclude(status=FindingStatus.CLOSED, closed_at__date__lte=last).order_by("due_date", "pk"))
    status_then = {}
    for event in FindingEvent.objects.filter(finding__in=candidates, at__date__lte=last).order_by("at", "pk"):
        if event.action != FindingAction.EXTEND:
            status_then[event.finding_id] = event.to_status
    return [f for f in candidates if status_then.get(f.pk, FindingStatus.OPEN) in FindingStatus.pending_unit()]


def _returned_repeatedly(first: datetime.date, last: datetime.date) -> list[tuple[Item, int]]:
    """Reports, annual plans and findings returned at least BULLETIN_RETURNS times by the
    month's end, one of them in the month."""
    threshold, found = settings.BULLETIN_RETURNS, []
    returns = ReviewEvent.objects.filter(action=ReviewAction.RETURN, at__date__lte=last)
    in_month = Count("pk", filter=Q(at__date__gte=first))
    for field_name, model in (("report", ProgressReport), ("annual_plan", AnnualWorkPlan)):
        counts = (returns.filter(**{f"{field_name}__isnull": False}).values(field_name)
                  .annotate(total=Count("pk"), recent=in_month).filter(total__gte=threshold, recent__gt=0))
        totals = {row[field_name]: row["total"] for row in counts}
        related = ("task", "period") if model is ProgressReport else ("task",)
        for filing in model.objects.filter(pk__in=totals).select_related(*related):
            item = (item_for_report(task=filing.task, unit_id=filing.unit_id, period=filing.period)
                    if model is ProgressReport else
                    item_for_annual_plan(task=filing.task, unit_id=filing.unit_id, year=filing.year))
            found.append((item, totals[filing.pk]))
    rejects = (FindingEvent.objects.filter(action=FindingAction.REJECT, at__date__lte=last).values("finding")
               .annotate(total=Count("pk"), recent=in_month).filter(total__gte=threshold, recent__gt=0))
    totals = {row["finding"]: row["total"] for row in rejects}
    found += [(item_for_finding(f), totals[f.pk]) for f in Finding.objects.filter(pk__in=totals)]
    return found


@transaction.atomic
def bulletin_compile(*, year: int, month: int, user: User | None = None) -> Bulletin:
    """Compile (or bring up to date) the month's 通报: one 通报 step per item, once."""
    if user is not None and not user.is_office:
        raise PermissionDenied("只有新区营商办可以汇总通报。")
    if not 1 <= month <= 12:
        raise SupervisionError("月份应为 1 到 12。")
    if datetime.date(year, month, 1) > timezone.localdate():
        raise SupervisionError("不能汇总尚未开始的月份。")
    bulletin, created = Bulletin.objects.get_or_create(
        year=year, month=month, defaults={"compiled_at": timezone.now(), "compiled_by": user},
    )
    if not created:
        bulletin.compiled_at, bulletin.compiled_by = timezone.now(), user
        bulletin.save(update_fields=["compiled_at", "compiled_by"])
    for item, reasons in bulletin_entries(year=year, month=month).values():
        key = f"{item.ident}:{Level.BULLETIN}:u{item.unit_id}:{year}{month:02d}"
        _record(Step(item, Level.BULLETIN, key, "；".join(reasons), bulletin=bulletin))
    return bulletin


# --- messenger -------------------------------------------------------------------------------


def escalation_webhook_post(*, escalation_id: int) -> bool:
    """Post one step to the office's messenger robot, once: the row is claimed first; a failed
    post gives the claim back and raises, so that the job's retry posts it (and only it)."""
    webhook = MessengerWebhook.objects.filter(is_active=True).order_by("pk").first()
    if webhook is None:
        return False
    claimed = Escalation.objects.filter(pk=escalation_id, webhook_sent_at__isnull=True).update(webhook_sent_at=timezone.now())
    if claimed != 1:
        return False
    escalation = Escalation.objects.select_related("unit", "finding", "task", "period").get(pk=escalation_id)
    text = (f"【{escalation.get_level_display()}】{escalation.unit.name}：{escalation.item_label}\n"
            f"{escalation.message}\n{settings.PORTAL_BASE_URL}"
            f"{reverse('supervision:escalation-detail', args=[escalation.pk])}")
    try:
        webhook_post(webhook.url, text)
    except Exception:
        Escalation.objects.filter(pk=escalation_id).update(webhook_sent_at=None)
        raise
    return True


def webhook_requeue(*, within_hours: int = 48) -> int:
    """Queue again the messenger posts of recent steps that never went out."""
    if not MessengerWebhook.objects.filter(is_active=True).exists():
        return 0
    from supervision.jobs import webhook_post_job

    since = timezone.now() - datetime.timedelta(hours=within_hours)
    ids = list(Escalation.objects.filter(webhook_sent_at__isnull=True, created_at__gte=since,
                                         channels__contains=Channel.WEBHOOK.value).values_list("pk", flat=True))
    for pk in ids:
        enqueue_on_commit(webhook_post_job, pk)
    return len(ids)

