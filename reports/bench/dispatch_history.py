"""Synthetic monthly dispatch (月调度) for the benchmark: 36 months of filings for every plan.

For each plan the generator holds (the seed plan included), for every month of its years:

- the reporting period (missing months are created, due on ``period_due_date``, closed);
- one progress report per (task, lead unit) assignment: mostly approved, some late, some
  returned and fixed, a few still returned; progress rising month by month, each assignment at
  its own pace;
- the review record of each (submit, approve; return and resubmit where it was returned);
- indicator actuals at each quarter's end, moving toward the indicator's target;
- contributions from about one supporting assignment in ten, approved.

The seed plan's last month stays open, and there the measured unit (新区行政审批与政务服务局,
whose inbox the benchmark reads) has drafts, submitted and returned reports and draft
contributions instead of approved ones. The current month (the real one) is open too, with a
few dozen of the seed plan's reports awaiting review, so that the review queue has a first page
at every scale. (The seed plan covers 2020–2022: the current month is outside every plan's
years, which is why the inbox is read at the seed plan's last month.)

Filings are attributed to one synthetic staff account per unit (「…填报员」), reviews to the
benchmark's office user. Rows and their history are written in bulk, dated when they happened.
A plan draws from its own seeded generator, so its filings are the same whichever path led
to the scale; a plan that already has filings in its own years is left as it is.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, Model, OuterRef
from simple_history.utils import bulk_create_with_history

from tasks.choices import AssignmentRole, Comparator, FilingStatus, PeriodStatus, ReviewAction, Role
from tasks.models import (
    ActionPlan,
    Contribution,
    Indicator,
    IndicatorActual,
    ProgressReport,
    ReportingPeriod,
    ReviewEvent,
    Task,
    TaskAssignment,
    Unit,
    User,
)
from tasks.services.dispatch import period_due_date, period_open_current

CHANGE_REASON = "合成数据"
OFFICE_USERNAME = "bench-office"
OFFICE_UNIT = "新区党工委组织部（营商办）"
MEASURED_UNIT = "新区行政审批与政务服务局"
FILER_PREFIX = "填报员·"
QUEUE_SAMPLE = 40  # the seed plan's reports awaiting review in the current month
LATE_SHARE = 0.08
RETURNED_FIXED_SHARE = 0.05
RETURNED_OPEN_SHARE = 0.02
CONTRIBUTING_SHARE = 0.1
QUARTER_ENDS = (3, 6, 9, 12)
BATCH = 5000
TZ = ZoneInfo(settings.TIME_ZONE)

COMPLETED = (
    "按计划推进「{title}」，完成本月阶段性工作。",
    "召开专题推进会，协调解决「{title}」中的具体问题。",
    "「{title}」相关工作有序开展，已完成本月目标。",
    "梳理「{title}」工作台账，逐项落实责任人和时间节点。",
)
PROBLEMS = ("", "", "部分事项需市级部门协调解决。", "进度受审批周期影响，需加快推进。")
NEXT_PLAN = ("继续推进「{title}」。", "加快「{title}」，确保按期完成。", "对照台账查漏补缺，推动「{title}」落地见效。")
RETURN_COMMENTS = ("请补充佐证材料。", "完成情况表述不具体，请量化说明。", "进度与上月计划不符，请说明原因。")
CONTRIBUTION_TEXT = "配合牵头单位推进「{title}」，按要求提供相关材料和数据。"


def office_user() -> User:
    """The benchmark's office user: reviews the synthetic filings and browses as the office."""
    user, _ = User.objects.get_or_create(
        username=OFFICE_USERNAME,
        defaults={"full_name": "基准测试", "role": Role.OFFICE, "unit": Unit.objects.get(name=OFFICE_UNIT)},
    )
    return user


def history_rng(seed: int, number: int) -> random.Random:
    """Plan ``number``'s own generator (1 is the seed plan), apart from the one of its tasks."""
    return random.Random(f"{seed}-dispatch-{number}")


# --- what one filing went through ----------------------------------------------------------


@dataclass
class Step:
    action: str
    from_status: str
    to_status: str
    at: datetime.datetime
    comment: str = ""


@dataclass
class Fate:
    """A filing's review record; its status and times follow from the steps."""

    steps: list[Step]
    is_late: bool = False

    @property
    def status(self) -> str:
        return self.steps[-1].to_status if self.steps else FilingStatus.DRAFT

    @property
    def submitted_at(self) -> datetime.datetime | None:
        submits = [s.at for s in self.steps if s.action == ReviewAction.SUBMIT]
        return submits[-1] if submits else None

    @property
    def straight(self) -> bool:
        """Submitted once and approved: the filing's own columns tell both steps."""
        return [s.action for s in self.steps] == [ReviewAction.SUBMIT, ReviewAction.APPROVE]

    @property
    def last_at(self) -> datetime.datetime | None:
        return self.steps[-1].at if self.steps else None


def _at(day: datetime.date, rng: random.Random) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, rng.randint(9, 17), rng.randint(0, 59), tzinfo=TZ)


def fate_draw(period: ReportingPeriod, rng: random.Random) -> Fate:
    """A closed month's filing: submitted around the due date, then reviewed within days."""
    late = rng.random() < LATE_SHARE
    days = rng.randint(1, 10) if late else -rng.randint(0, 7)
    submitted = _at(period.due_date + datetime.timedelta(days=days), rng)
    steps = [Step(ReviewAction.SUBMIT, FilingStatus.DRAFT, FilingStatus.SUBMITTED, submitted)]
    roll, later = rng.random(), submitted
    if roll < RETURNED_FIXED_SHARE + RETURNED_OPEN_SHARE:
        later += datetime.timedelta(days=rng.randint(1, 3))
        steps.append(Step(ReviewAction.RETURN, FilingStatus.SUBMITTED, FilingStatus.RETURNED, later,
                          rng.choice(RETURN_COMMENTS)))
        if roll >= RETURNED_OPEN_SHARE:
            later += datetime.timedelta(days=rng.randint(1, 3))
            steps.append(Step(ReviewAction.SUBMIT, FilingStatus.RETURNED, FilingStatus.SUBMITTED, later))
    if steps[-1].to_status == FilingStatus.SUBMITTED:
        later += datetime.timedelta(days=rng.randint(1, 3), hours=rng.randint(0, 5))
        steps.append(Step(ReviewAction.APPROVE, FilingStatus.SUBMITTED, FilingStatus.APPROVED, later))
    return Fate(steps, is_late=late)


# --- writing -------------------------------------------------------------------------------


@contextmanager
def timestamps_as_given(*models: type[Model]) -> Iterator[None]:
    """bulk_create stamps ``auto_now``/``auto_now_add`` fields with the present moment; synthetic
    history needs the moment each filing happened, so meanwhile those fields keep what is set."""
    fields = [f for m in models for f in m._meta.concrete_fields
              if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def _create(model: type[Model], objs: list[Model]) -> list[Model]:
    """Rows and their creation history (dated and attributed by ``_history_date`` and
    ``_history_user`` on each object), a few queries per BATCH rows."""
    with timestamps_as_given(model):
        return bulk_create_with_history(objs, model, batch_size=BATCH, default_change_reason=CHANGE_REASON)


def _filing_fill(filing, fate: Fate, filer: User, *, draft_at: datetime.datetime | None = None) -> None:
    """Status, times and history attribution of a filing from its fate (a draft's: ``draft_at``)."""
    filing.status, filing.submitted_at, filing.is_late = fate.status, fate.submitted_at, fate.is_late
    filing.created_by_id = filer.pk
    filing.created_at = fate.steps[0].at - datetime.timedelta(hours=2) if fate.steps else draft_at
    filing.updated_at = fate.last_at or draft_at
    filing._history_date, filing._history_user = filing.updated_at, filer


def _events(filings: list, fates: list[Fate], kind: str, reviewer: User) -> None:
    """Every filing's review record, ``at`` kept as given.

    Most filings went straight through (submitted, then approved): their two steps follow from
    the filing's own columns, so the database derives them (``_straight_events_insert``). At
    100× that is most of a million rows, which bulk_create would prepare one value at a time,
    about a third of the generation time. The other filings' steps are bulk-created.
    """
    straight = [f.pk for f, fate in zip(filings, fates, strict=True) if fate.straight]
    rows = [
        ReviewEvent(**{f"{kind}_id": filing.pk}, action=s.action, from_status=s.from_status, to_status=s.to_status,
                    comment=s.comment, is_late=fate.is_late, at=s.at,
                    actor_id=filing.created_by_id if s.action == ReviewAction.SUBMIT else reviewer.pk)
        for filing, fate in zip(filings, fates, strict=True) if not fate.straight for s in fate.steps
    ]
    with timestamps_as_given(ReviewEvent):
        ReviewEvent.objects.bulk_create(rows, batch_size=BATCH)
    _straight_events_insert(type(filings[0]) if filings else None, kind, straight, reviewer)


# A straight filing's steps: the filing's column giving when, and who (None: the reviewer).
STRAIGHT_STEPS = (
    (ReviewAction.SUBMIT, FilingStatus.DRAFT, FilingStatus.SUBMITTED, "submitted_at", "created_by"),
    (ReviewAction.APPROVE, FilingStatus.SUBMITTED, FilingStatus.APPROVED, "updated_at", None),
)
IDS_PER_INSERT = 900  # below SQLite's 999 parameters per statement


def _straight_events_insert(model: type[Model] | None, kind: str, ids: list[int], reviewer: User) -> None:
    """Submit and approve steps of the filings ``ids``, one INSERT … SELECT per step and batch."""
    if not ids:
        return
    quote, events, filings = connection.ops.quote_name, ReviewEvent._meta, model._meta
    columns = ", ".join(quote(events.get_field(name).column) for name in (
        kind, "action", "from_status", "to_status", "comment", "is_late", "actor", "at"))

    def column(name: str) -> str:
        return quote(filings.get_field(name).column)

    with connection.cursor() as cursor:
        for start in range(0, len(ids), IDS_PER_INSERT):
            batch = ids[start:start + IDS_PER_INSERT]
            for action, source, target, when, actor in STRAIGHT_STEPS:
                cursor.execute(
                    f"INSERT INTO {quote(events.db_table)} ({columns}) "
                    f"SELECT {column('id')}, %s, %s, %s, '', {column('is_late')}, "
                    f"{column(actor) if actor else '%s'}, {column(when)} FROM {quote(filings.db_table)} "
                    f"WHERE {column('id')} IN ({', '.join(['%s'] * len(batch))})",
                    [action, source, target, *([] if actor else [reviewer.pk]), *batch],
                )


def filers_ensure(unit_ids: set[int]) -> dict[int, User]:
    """One synthetic staff account per unit that files, created on first need (2 queries)."""
    units = dict(Unit.objects.filter(pk__in=unit_ids).values_list("pk", "name"))
    existing = {u.unit_id: u for u in User.objects.filter(username__in=[FILER_PREFIX + n for n in units.values()])}
    missing = [User(username=FILER_PREFIX + name, full_name=f"{name}填报员", role=Role.UNIT_STAFF,
                    unit_id=pk, password="!")  # "!": no password can sign in
               for pk, name in sorted(units.items()) if pk not in existing]
    return existing | {u.unit_id: u for u in User.objects.bulk_create(missing)}


def periods_ensure(years: range, *, open_last: bool = False) -> list[ReportingPeriod]:
    """Every month of ``years``, in order; missing ones are created due on ``period_due_date``,
    closed (the last one open with ``open_last``)."""
    existing = {(p.year, p.month): p for p in ReportingPeriod.objects.filter(year__in=list(years))}
    missing = []
    for year in years:
        for month in range(1, 13):
            if (year, month) not in existing:
                due, provisional = period_due_date(year=year, month=month)
                last = open_last and (year, month) == (years[-1], 12)
                period = ReportingPeriod(year=year, month=month, due_date=due, due_provisional=provisional,
                                         status=PeriodStatus.OPEN if last else PeriodStatus.CLOSED)
                period._history_date = datetime.datetime(due.year, due.month, 1, tzinfo=TZ)
                missing.append(period)
    periods = existing | {(p.year, p.month): p for p in (_create(ReportingPeriod, missing) if missing else [])}
    return [periods[(year, month)] for year in years for month in range(1, 13)]


# --- one plan's 36 months --------------------------------------------------------------------


@dataclass
class PlanFacts:
    """What a plan's filings are made from, read in four queries."""

    plan: ActionPlan
    titles: dict[int, str]
    leads: list[tuple[int, int]]  # (task id, unit id), in task order
    supports: list[tuple[int, int]]
    indicators: dict[int, list[Indicator]] = field(default_factory=dict)  # task id → its indicators

    @classmethod
    def read(cls, plan: ActionPlan) -> PlanFacts:
        tasks = Task.objects.filter(plan=plan, is_active=True)
        assignments = (TaskAssignment.objects.filter(task__in=tasks)
                       .order_by("task__sort_order", "sort_order", "id").values_list("task_id", "unit_id", "role"))
        facts = cls(plan=plan, titles=dict(tasks.values_list("pk", "title")), leads=[], supports=[])
        for task_id, unit_id, role in assignments:
            (facts.leads if role == AssignmentRole.LEAD else facts.supports).append((task_id, unit_id))
        for indicator in Indicator.objects.filter(plan=plan, task__in=tasks).order_by("sort_order", "id"):
            facts.indicators.setdefault(indicator.task_id, []).append(indicator)
        return facts


def plans_without_history(plans: list[ActionPlan]) -> list[ActionPlan]:
    """The plans with no progress report in their own years (1 query)."""
    own = ProgressReport.objects.filter(
        task__plan=OuterRef("pk"), period__year__gte=OuterRef("start_year"), period__year__lte=OuterRef("end_year"),
    )
    empty = set(ActionPlan.objects.filter(pk__in=[p.pk for p in plans]).filter(~Exists(own))
                .values_list("pk", flat=True))
    return [p for p in plans if p.pk in empty]


@transaction.atomic
def plan_history_create(plan: ActionPlan, rng: random.Random, reviewer: User, *,
                        measured_unit_id: int | None = None) -> int:
    """A plan's 36 months of reports, actuals and contributions; returns the number of reports.

    With ``measured_unit_id`` (the seed plan), the plan's last month stays open and that unit's
    filings for it are its own mix of drafts, submitted and returned ones: the inbox measured.
    """
    facts = PlanFacts.read(plan)
    months = periods_ensure(plan.years, open_last=measured_unit_id is not None)
    filers = filers_ensure({unit for _, unit in facts.leads + facts.supports})
    # The measured unit's last month is written apart; its draws are made all the same, so the
    # other filings do not depend on which unit is measured.
    own = (months[-1].pk, measured_unit_id)
    reports, fates = _without(own, *_reports_build(facts, months, filers, rng))
    _create(ProgressReport, reports)
    _events(reports, fates, "report", reviewer)
    _create(IndicatorActual, _actuals_build(facts, reports, months, rng))
    contributions, fates = _without(own, *_contributions_build(facts, months, filers, rng))
    _create(Contribution, contributions)
    _events(contributions, fates, "contribution", reviewer)
    if measured_unit_id is not None:
        _own_filings_create(facts, months[-1], measured_unit_id, filers, rng, reviewer)
    return len(reports)


def _without(key: tuple[int, int | None], filings: list, fates: list[Fate]) -> tuple[list, list[Fate]]:
    """The filings (and their fates) but those of (period id, unit id) ``key``."""
    kept = [(f, fate) for f, fate in zip(filings, fates, strict=True) if (f.period_id, f.unit_id) != key]
    return [f for f, _ in kept], [fate for _, fate in kept]


def _reports_build(facts: PlanFacts, months: list[ReportingPeriod], filers: dict[int, User],
                   rng: random.Random) -> tuple[list[ProgressReport], list[Fate]]:
    reports, fates = [], []
    for task_id, unit_id in facts.leads:
        title = facts.titles[task_id]
        pace, progress = rng.uniform(0.7, 1.1), 0
        for index, period in enumerate(months):
            # Progress rises at the assignment's pace, never back down; a slow one ends in red.
            progress = max(progress, min(100, round(100 * (index + 1) / len(months) * pace + rng.uniform(-3, 3))))
            fate = fate_draw(period, rng)
            report = ProgressReport(
                task_id=task_id, unit_id=unit_id, period_id=period.pk, progress=progress,
                completed=rng.choice(COMPLETED).format(title=title), problems=rng.choice(PROBLEMS),
                next_plan=rng.choice(NEXT_PLAN).format(title=title),
            )
            _filing_fill(report, fate, filers[unit_id])
            reports.append(report)
            fates.append(fate)
    return reports, fates


def _actuals_build(facts: PlanFacts, reports: list[ProgressReport], months: list[ReportingPeriod],
                   rng: random.Random) -> list[IndicatorActual]:
    """At each quarter's end, every indicator of the report's task for that year."""
    periods, actuals = {p.pk: p for p in months}, []
    for report in reports:
        period = periods[report.period_id]
        if period.month not in QUARTER_ENDS:
            continue
        elapsed = ((period.year - facts.plan.start_year) * 12 + period.month) / len(months)
        for indicator in facts.indicators.get(report.task_id, []):
            if indicator.year not in (None, period.year):
                continue
            actual = IndicatorActual(report_id=report.pk, indicator_id=indicator.pk,
                                     value=indicator_value(indicator, elapsed, rng))
            actual._history_date, actual._history_user = report._history_date, report._history_user
            actuals.append(actual)
    return actuals


def indicator_value(indicator: Indicator, elapsed: float, rng: random.Random) -> Decimal:
    """A value that moves from well short of the target toward it as the plan's time elapses."""
    target = indicator.target_value
    if indicator.comparator == Comparator.RANGE:
        target = (indicator.target_value + indicator.target_max) / 2
    start = target * Decimal("1.8") if indicator.comparator == Comparator.LE else target * Decimal("0.4")
    share = Decimal(str(round(min(1.0, elapsed * rng.uniform(0.9, 1.1)), 3)))
    return (start + (target - start) * share).quantize(Decimal("0.01"))


def _contributions_build(facts: PlanFacts, months: list[ReportingPeriod], filers: dict[int, User],
                         rng: random.Random) -> tuple[list[Contribution], list[Fate]]:
    contributions, fates = [], []
    for task_id, unit_id in facts.supports:
        if rng.random() >= CONTRIBUTING_SHARE:
            continue
        for period in months:
            fate = fate_draw(period, rng)
            contribution = Contribution(task_id=task_id, unit_id=unit_id, period_id=period.pk,
                                        text=CONTRIBUTION_TEXT.format(title=facts.titles[task_id]))
            _filing_fill(contribution, fate, filers[unit_id])
            contributions.append(contribution)
            fates.append(fate)
    return contributions, fates


# --- the open months -------------------------------------------------------------------------


def _own_filings_create(facts: PlanFacts, period: ReportingPeriod, unit_id: int, filers: dict[int, User],
                        rng: random.Random, reviewer: User) -> None:
    """The measured unit's filings for the open month: its lead tasks in turns a draft, submitted,
    returned and not begun; every other supporting task a draft contribution."""
    before_due = datetime.datetime.combine(period.due_date, datetime.time(10), tzinfo=TZ)
    reports, fates = [], []
    for index, (task_id, _) in enumerate(lead for lead in facts.leads if lead[1] == unit_id):
        turn = index % 4
        if turn == 3:
            continue
        at = before_due - datetime.timedelta(days=3, hours=index)
        reports.append(_report_new(facts, task_id, unit_id, period, rng))
        fates.append(Fate([]) if turn == 0 else _submitted(at, rng, returned=turn == 2))
        _filing_fill(reports[-1], fates[-1], filers[unit_id], draft_at=at)
    _create(ProgressReport, reports)
    _events(reports, fates, "report", reviewer)
    contributions = []
    for index, (task_id, _) in enumerate([s for s in facts.supports if s[1] == unit_id][::2]):
        row = Contribution(task_id=task_id, unit_id=unit_id, period_id=period.pk,
                           text=CONTRIBUTION_TEXT.format(title=facts.titles[task_id]))
        _filing_fill(row, Fate([]), filers[unit_id], draft_at=before_due - datetime.timedelta(days=2, hours=index))
        contributions.append(row)
    _create(Contribution, contributions)


def current_period_fill(plan: ActionPlan, *, today: datetime.date, rng: random.Random, reviewer: User) -> bool:
    """The real current month, open, with QUEUE_SAMPLE of the plan's reports awaiting review,
    spread over the plan's lead assignments (the measured unit's aside); False if the month
    already has reports."""
    period = period_open_current(today=today)
    if ProgressReport.objects.filter(period=period).exists():
        return False
    measured = Unit.objects.get(name=MEASURED_UNIT).pk
    facts = PlanFacts.read(plan)
    others = [lead for lead in facts.leads if lead[1] != measured]
    sample = others[::max(1, len(others) // QUEUE_SAMPLE)][:QUEUE_SAMPLE]
    filers = filers_ensure({unit for _, unit in sample})
    reports = [_report_new(facts, task_id, unit_id, period, rng) for task_id, unit_id in sample]
    # Submitted on the days of the month before today (the day before on the 1st): never later.
    fates = [_submitted(_at(today - datetime.timedelta(days=1 + i % max(1, today.day - 1)), rng), rng)
             for i in range(len(reports))]
    for report, fate in zip(reports, fates, strict=True):
        _filing_fill(report, fate, filers[report.unit_id])
    with transaction.atomic():
        _create(ProgressReport, reports)
        _events(reports, fates, "report", reviewer)
    return True


def _report_new(facts: PlanFacts, task_id: int, unit_id: int, period: ReportingPeriod,
                rng: random.Random) -> ProgressReport:
    """A report of an open month, as far as its unit has got."""
    title = facts.titles[task_id]
    return ProgressReport(
        task_id=task_id, unit_id=unit_id, period_id=period.pk, progress=rng.randint(60, 95),
        completed=rng.choice(COMPLETED).format(title=title), next_plan=rng.choice(NEXT_PLAN).format(title=title),
    )


def _submitted(at: datetime.datetime, rng: random.Random, *, returned: bool = False) -> Fate:
    """Submitted at ``at``, awaiting review, or sent back half an hour later."""
    steps = [Step(ReviewAction.SUBMIT, FilingStatus.DRAFT, FilingStatus.SUBMITTED, at)]
    if returned:
        steps.append(Step(ReviewAction.RETURN, FilingStatus.SUBMITTED, FilingStatus.RETURNED,
                          at + datetime.timedelta(minutes=30), rng.choice(RETURN_COMMENTS)))
    return Fate(steps)
