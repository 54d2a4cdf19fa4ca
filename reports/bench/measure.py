"""What the benchmark measures and how: requests through django.test.Client, timed in turns.

The measured calls take turns (plan page, task API, floor, plan page, …) so that a burst of
load on the machine falls on all of them alike and the ratios between them stay fair.

Writes (a progress report's save, its submission and return) are measured as calls of the
services, each in a transaction that is rolled back: every call really writes (new text, a
history row, review events), and every call finds the same draft.
"""

from __future__ import annotations

import gc
import itertools
import json
import time
from collections.abc import Callable

from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from reports.bench.dispatch_history import MEASURED_UNIT, office_user
from reports.bench.figures import Timing
from tasks.choices import AssignmentRole, FilingStatus, ReviewAction, Role
from tasks.models import (
    ActionPlan,
    ProgressReport,
    ReportingPeriod,
    Task,
    TaskAssignment,
    Unit,
    User,
)
from tasks.services.dispatch import ReportInput, filing_review, filing_submit, report_save

TASK_API_URL = "/api/v1/tasks/"
UNIT_USERNAME = "bench-unit"
QUERY_SAMPLES = 3


class EndpointUnavailable(Exception):
    """The page or API route is missing or does not answer 200; the report says which."""


def time_in_turns(calls: dict[str, Callable[[], object]], *, repeat: int, warmup: int) -> dict[str, Timing]:
    """Run every call ``warmup`` times untimed, then ``repeat`` times timed, in turns.

    The garbage collector is off while timing (as in ``timeit``): a collection would land on
    whichever call happens to allocate at that moment.
    """
    for _ in range(warmup):
        for call in calls.values():
            call()
    timings = {name: Timing() for name in calls}
    gc.collect()
    gc.disable()
    try:
        for _ in range(repeat):
            for name, call in calls.items():
                started = time.perf_counter()
                call()
                timings[name].samples.append(time.perf_counter() - started)
    finally:
        gc.enable()
    return timings


def queries_captured(call: Callable[[], object]) -> list[str]:
    """The SQL of the call that ran the most queries over a few (a count that varies shows up
    as the highest); the report compares these lists between scales."""
    runs = []
    for _ in range(QUERY_SAMPLES):
        with CaptureQueriesContext(connection) as captured:
            call()
        runs.append([query["sql"] for query in captured.captured_queries])
    return max(runs, key=len)


def queries_per_call(call: Callable[[], object]) -> int:
    return len(queries_captured(call))


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def office_client() -> Client:
    """A client signed in as an office user (sees every task), created on first use."""
    return _signed_in(office_user())


def unit_user() -> User:
    """A staff account of the measured unit, created on first use."""
    user, _ = User.objects.get_or_create(
        username=UNIT_USERNAME,
        defaults={"full_name": "基准测试填报员", "role": Role.UNIT_STAFF, "unit": Unit.objects.get(name=MEASURED_UNIT)},
    )
    return user


def unit_client() -> Client:
    """A client signed in as a staff account of the measured unit, created on first use."""
    return _signed_in(unit_user())


def get_ok(client: Client, url: str):
    """Fetch ``url``; anything but a 200 makes the endpoint unavailable for this run. A view
    that raises is reported the same way, with its exception, so that the other figures of
    the run still reach the report."""
    try:
        response = client.get(url)
    except Exception as exc:
        raise EndpointUnavailable(f"{url} 出错：{type(exc).__name__}: {exc}") from exc
    if response.status_code != 200:
        raise EndpointUnavailable(f"{url} 返回 {response.status_code}")
    return response


def timed_get(client: Client, url: str) -> Callable[[], object]:
    """A call for timing, after one checked request."""
    get_ok(client, url)
    return lambda: client.get(url)


def page_url(name: str, *args: object) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch as exc:
        raise EndpointUnavailable(f"URL 名称 {name} 不存在") from exc


def plan_browser_url(plan: ActionPlan) -> str:
    return page_url("plan-detail", plan.pk)


def review_queue_url() -> str:
    """The queue as the office opens it: progress reports awaiting review, first page."""
    return page_url("review-queue")


def measured_period(plan: ActionPlan) -> ReportingPeriod:
    """The seed plan's last month: open, with the measured unit's drafts, submitted and returned
    reports (see dispatch_history). The default (current) month lies after every plan's years."""
    period = ReportingPeriod.objects.filter(year=plan.end_year, month=12).first()
    if period is None:
        raise EndpointUnavailable(f"没有 {plan.end_year}年12月 填报期（合成数据未生成）")
    return period


def reporting_inbox_url(plan: ActionPlan) -> str:
    """The measured unit's inbox at the seed plan's last month, where it has drafts, submitted
    and returned reports. The default (current) month lies after every plan's years and would
    list no task at all."""
    return f"{page_url('reporting-inbox')}?period={measured_period(plan).pk}"


def task_api_first_page_ids(client: Client) -> list[int]:
    """Ids of the rows on the task API's first page, in its order."""
    return [row["id"] for row in get_ok(client, TASK_API_URL).json()["results"]]


# The task API's fields, read straight from the tables: the least any implementation must do.
FLOOR_TASK_FIELDS = (
    "id", "code", "number", "title", "text", "group__kind", "group_id", "group__title", "plan_id",
    "time_node",
)


def task_rows_floor(ids: list[int]) -> str:
    """The same rows as the API page, as JSON, with two ``.values()`` queries and no framework:
    no request, session, pagination count or serializer."""
    rows = {row["id"]: row for row in Task.objects.filter(pk__in=ids).values(*FLOOR_TASK_FIELDS)}
    for row in rows.values():
        row["lead_units"], row["supporting_units"] = [], []
    assignments = TaskAssignment.objects.filter(task_id__in=ids).order_by("task_id", "sort_order")
    for a in assignments.values("task_id", "role", "unit__name"):
        key = "lead_units" if a["role"] == AssignmentRole.LEAD else "supporting_units"
        rows[a["task_id"]][key].append(a["unit__name"])
    return json.dumps([rows[pk] for pk in ids], ensure_ascii=False)


# --- writes: a progress report saved, submitted and returned ------------------------------------

RETURN_COMMENT = "基准测试：请补充本月完成情况。"


class DraftWrites:
    """The measured unit's first draft report (in task order) of the seed plan's last month, on
    one of its lead tasks; picked once per scale, the same task at every scale (growth leaves
    the seed plan's filings alone). Each write is what the portal does when the unit presses
    保存草稿, or 提交 and the office 退回, through the services, in the caller's transaction;
    ``rolled_back`` makes the measured calls of them."""

    def __init__(self, *, draft: ProgressReport, unit: User, office: User):
        self.draft, self.unit, self.office = draft, unit, office
        self.saves = itertools.count(1)

    @classmethod
    def of(cls, plan: ActionPlan) -> DraftWrites:
        unit = unit_user()
        draft = (ProgressReport.objects.select_related("task__plan", "period")
                 .filter(period=measured_period(plan), task__plan=plan, unit_id=unit.unit_id, status=FilingStatus.DRAFT)
                 .order_by("task__sort_order", "task_id").first())
        if draft is None:
            raise EndpointUnavailable(f"{MEASURED_UNIT}在 {plan.end_year}年12月 没有进展填报草稿（合成数据未生成）")
        return cls(draft=draft, unit=unit, office=office_user())

    def save(self) -> ProgressReport:
        """保存草稿 with new text each time (a save that changes nothing would write no history)."""
        draft = self.draft
        data = ReportInput(completed=f"{draft.completed}（基准测试第 {next(self.saves)} 次保存）",
                           problems=draft.problems, next_plan=draft.next_plan, progress=draft.progress)
        return report_save(user=self.unit, task=draft.task, period=draft.period, data=data)

    def submit_return(self) -> ProgressReport:
        """提交 by the unit, then 退回 by the office with a comment."""
        submitted = filing_submit(user=self.unit, filing=self.draft)
        return filing_review(user=self.office, filing=submitted, action=ReviewAction.RETURN, comment=RETURN_COMMENT)


def rolled_back(write: Callable[[], object]) -> Callable[[], None]:
    """A call for timing: ``write`` in a transaction that is then rolled back, so that every call
    starts from the same rows (and no notification goes out: its job is queued on commit)."""

    def call() -> None:
        with transaction.atomic():
            write()
            transaction.set_rollback(True)

    return call


def timed_write(what: str, write: Callable[[], ProgressReport], draft: ProgressReport) -> Callable[[], None]:
    """A call for timing, after one checked write (rolled back): it must succeed and change
    the draft itself, not a report of its own. ``what`` names the write in a failure."""
    written = []
    try:
        rolled_back(lambda: written.append(write()))()
    except Exception as exc:
        raise EndpointUnavailable(f"{what} 出错：{type(exc).__name__}: {exc}") from exc
    if written[0].pk != draft.pk:
        raise EndpointUnavailable(f"{what} 写入了另一份进展填报（{written[0].pk}，而非 {draft.pk}）")
    return rolled_back(write)
