"""Data for the supervision tests: frozen days on the 2025–2026 working-day calendar, a small
plan running in those years, inspection rounds and findings made through the services.

The calendar the tests lean on (chinese_calendar, statutory):
- 国庆 and 中秋 2025: 1–8 October off; Sunday 28 September and Saturday 11 October are make-up
  working days. So from Monday 29 September, five working days are 30 September, 9, 10,
  11 (a Saturday) and 13 October.
- 2026: Saturday 31 January (the annual work plan's default due date) is a day off.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from supervision.choices import InspectionMethod, Severity
from supervision.models import Escalation, Finding, InspectionRound
from supervision.services import finding_create, round_create
from supervision.services.inspections import FindingInput, RoundInput
from tasks.choices import AssignmentRole, GroupKind
from tasks.models import ActionPlan, Task, TaskAssignment, TaskGroup, Unit, User
from tests.factories import UserFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"

LEAD_UNIT = "新区行政审批与政务服务局"  # lead_user's unit
OTHER_UNIT = "沣东新城"  # supporting_user's unit
STAFFLESS_UNIT = "新区改革创新发展局"  # no persona works there


def frozen(day: dt.date, hour: int = 9):
    """Time stands still at ``hour`` o'clock of ``day``, Xixian time."""
    return time_machine.travel(dt.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI), tick=False)


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def days(first: str, last: str) -> list[dt.date]:
    start, end = d(first), d(last)
    return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]


def unit(name: str) -> Unit:
    return Unit.objects.get(name=name)


def staff(unit_name: str, *, email: str = "", email_notifications: bool = True, **kwargs) -> User:
    return UserFactory.in_unit(unit_name, email=email, email_notifications=email_notifications, **kwargs)


def pdf(name: str = "整改报告.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def small_plan(*, leads: tuple[str, ...] = (LEAD_UNIT,), start_year: int = 2025, end_year: int = 2026) -> list[Task]:
    """A plan running in 2025–2026 with one task per lead unit (the seed plan ran 2020–2022), so
    that monthly reports and annual work plans of those years are owed by exactly these units."""
    plan = ActionPlan.objects.create(
        title=f"测试行动方案（{start_year}年—{end_year}年）", start_year=start_year, end_year=end_year,
        source_text="测试", source_sha256="0" * 64, imported_at=dt.datetime(2025, 1, 2, tzinfo=SHANGHAI),
    )
    group = TaskGroup.objects.create(plan=plan, kind=GroupKind.MAIN, number=1, title="优化审批服务")
    tasks = []
    for n, name in enumerate(leads, start=1):
        task = Task.objects.create(plan=plan, group=group, number=n, code=f"1.{n}", title=f"测试任务{n}",
                                   text=f"测试任务{n}的内容。", sort_order=n)
        TaskAssignment.objects.create(task=task, unit=unit(name), role=AssignmentRole.LEAD)
        tasks.append(task)
    return tasks


def make_round(user: User, *, year: int = 2025, quarter: int = 3, title: str = "", **kwargs) -> InspectionRound:
    data = RoundInput(year=year, quarter=quarter, title=title or f"{year}年第{quarter}季度专项督查",
                      method=InspectionMethod.FOUR_NOS, **kwargs)
    return round_create(user=user, data=data)


def make_finding(inspector: User, round_: InspectionRound, *, found_on: dt.date, working_days: int = 5,
                 unit_name: str = LEAD_UNIT, **kwargs) -> Finding:
    """A finding logged on ``found_on`` (time frozen then, as its events are dated by the clock)."""
    data = FindingInput(unit=unit(unit_name), description=kwargs.pop("description", "窗口未落实一次性告知制度。"),
                        severity=kwargs.pop("severity", Severity.GENERAL), deadline_working_days=working_days,
                        found_on=found_on, **kwargs)
    with frozen(found_on, hour=10):
        return finding_create(user=inspector, round_=round_, data=data)


def steps(**filters) -> list[tuple[str, dt.date]]:
    """The ladder steps recorded, as (level, due date chased), oldest first."""
    return list(Escalation.objects.filter(**filters).order_by("created_at", "pk").values_list("level", "due_date"))


def scan_days(first: str, last: str) -> dict[dt.date, dict[str, int] | str]:
    """Run the daily scan at 08:30 of every day from ``first`` to ``last``. Returns, per day, the
    steps it recorded by level (days that recorded nothing are left out) or "休" for a day it
    skipped — and checks that a skipped day changed nothing at all."""
    from supervision.models import Bulletin
    from supervision.services import deadline_scan
    from tasks.models import Notification

    def counts() -> tuple[int, int, int]:
        return Escalation.objects.count(), Bulletin.objects.count(), Notification.objects.count()

    out: dict[dt.date, dict[str, int] | str] = {}
    for day in days(first, last):
        before = counts()
        with frozen(day, hour=8):
            result = deadline_scan()
        if result.skipped:
            assert counts() == before, f"the scan changed something on {day}, a day off"
            out[day] = "休"
        elif result.recorded:
            out[day] = dict(result.recorded)
    return out


def off(*dates: str) -> dict[dt.date, str]:
    return {d(text): "休" for text in dates}


# 国庆 2025 and the weekends around it: the days the scans of October 2025 skip.
OCTOBER_2025_OFF = ("2025-10-01", "2025-10-02", "2025-10-03", "2025-10-04", "2025-10-05", "2025-10-06",
                    "2025-10-07", "2025-10-08", "2025-10-12", "2025-10-18", "2025-10-19", "2025-10-25", "2025-10-26")
