"""Query budgets of the monthly dispatch pages: fixed, whatever the number of tasks, reports,
months of history or messages. Each budget names its queries in the order they run.

Time is frozen at Monday 2022-07-04, three working days before the June 2022 report falls due
(Thursday 2022-07-07), so that lights and days left read the calendar a known number of times:
twice for the tasks' state (the plan's last due date, and the entries over the periods it owes,
from which every light counts its working days), once more where the page shows the working
days left itself.
"""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse

from tasks.choices import ReviewAction
from tasks.models import Notification, Task
from tasks.services import dispatch
from tests.test_pages_filing import at, file_report, june, may, media, pdf_upload, task_7_3  # noqa: F401

# session, user + unit
SIGNED_IN = 2
# unread notifications count (the top bar of every full page)
TOP_BAR = 1
# The tasks' state (tasks.selectors.state), read per plan among the tasks shown whatever their
# number. The seed plan is in force on 2022-07-04, so the state is the present's (no plan
# history): the calendar of the plan's last due date (ActionPlan.final_day: ``plan.moment()``
# asks whether the plan has ended even while it runs), the periods the plan owes, the calendar
# entries over them (every light's working days are counted from this one read), the lead units
# in force, their reports, their returns
STATE = 6


@pytest.fixture(autouse=True)
def early_july():
    with time_machine.travel(at(2022, 7, 4, 10), tick=False):
        yield


def ok(response):
    assert response.status_code == 200, response.content[:300]
    return response


# --- the reporting inbox ---------------------------------------------------------------------------

# the current period, the periods of the picker, the offices inside the user's unit, the
# unit's returned reports, contributions and annual plans with their last return comment (3),
# the unit's tasks + group + plan, their assignments to the unit, the period's reports, the
# period's contributions, STATE, the working days to the period's due date, the year's lead
# tasks + plan and their annual plans (annual work plans due)
INBOX_QUERIES = SIGNED_IN + 3 + 3 + 4 + STATE + 1 + 2 + TOP_BAR


def inbox_history(lead_user, supporting_user, office, plan, june):  # noqa: F811
    """A returned report, a submitted one, a draft, a contribution and an annual plan."""
    returned = file_report(lead_user, Task.objects.get(plan=plan, code="1.3"), june)
    dispatch.filing_review(user=office, filing=returned, action=ReviewAction.RETURN, comment="补充")
    file_report(lead_user, Task.objects.get(plan=plan, code="1.4"), june)
    dispatch.report_save(user=lead_user, task=Task.objects.get(plan=plan, code="1.1"), period=june,
                         data=dispatch.ReportInput(completed="草稿"))
    dispatch.contribution_save(user=lead_user, task=Task.objects.get(plan=plan, code="2.2"), period=june, text="配合")
    dispatch.annual_plan_save(user=lead_user, task=Task.objects.get(plan=plan, code="1.1"), year=2022, content="方案")


def test_inbox_budget(client, lead_user, supporting_user, office, plan, june, django_assert_num_queries):  # noqa: F811
    inbox_history(lead_user, supporting_user, office, plan, june)
    client.force_login(lead_user)
    with django_assert_num_queries(INBOX_QUERIES):
        response = ok(client.get(reverse("reporting-inbox")))
    assert len(response.context["rows"]) == 18 and len(response.context["returned"]) == 1


def test_inbox_does_not_depend_on_the_number_of_tasks(client, lead_user, plan, june, django_assert_num_queries):  # noqa: F811
    Task.objects.filter(plan=plan).exclude(code="1.1").update(is_active=False)
    client.force_login(lead_user)
    with django_assert_num_queries(INBOX_QUERIES):
        response = ok(client.get(reverse("reporting-inbox")))
    assert [row.task.code for row in response.context["rows"]] == ["1.1"]


def test_inbox_of_the_office_reads_no_filings(client, office, june, django_assert_num_queries):  # noqa: F811
    # session, user + unit, the current period, the periods of the picker, unread count
    client.force_login(office)
    with django_assert_num_queries(SIGNED_IN + 2 + TOP_BAR):
        ok(client.get(reverse("reporting-inbox")))


# --- the report form -------------------------------------------------------------------------------

# the period, the offices inside the user's unit, the task + group + plan, its assignments +
# units, its indicators, the task's visibility and the unit's lead assignment
# (access_filing_unit: 2), the report, its review record + actors, its actuals, its evidence,
# the year's indicators (the form's inputs), the previous report + period (有对比)
REPORT_FORM_QUERIES = SIGNED_IN + 13 + TOP_BAR


def test_report_form_budget(client, lead_user, office, task_7_3, may, june, django_assert_num_queries):  # noqa: F811
    previous = file_report(lead_user, task_7_3, may, next_plan="六月计划")
    dispatch.filing_review(user=office, filing=previous, action=ReviewAction.APPROVE)
    indicator = task_7_3.indicators.get(year__isnull=True)
    report = dispatch.report_save(user=lead_user, task=task_7_3, period=june, data=dispatch.ReportInput(completed="六月"),
                                  actuals={indicator.pk: 12}, files=[pdf_upload("一.pdf"), pdf_upload("二.pdf")])
    dispatch.filing_submit(user=lead_user, filing=dispatch.report_save(
        user=lead_user, task=task_7_3, period=june, data=dispatch.ReportInput(completed="六月", next_plan="七月", progress=50)))
    dispatch.filing_review(user=office, filing=report, action=ReviewAction.RETURN, comment="补充")
    client.force_login(lead_user)
    with django_assert_num_queries(REPORT_FORM_QUERIES):
        response = ok(client.get(reverse("report-edit", args=[june.pk, task_7_3.pk])))
    assert response.context["previous"].next_plan == "六月计划"
    assert response.context["return_event"].comment == "补充"


def test_report_form_before_anything_was_typed(client, lead_user, task_1_1, june, django_assert_num_queries):  # noqa: F811
    # As above, less the report's review record, actuals and evidence (no report to read them of).
    client.force_login(lead_user)
    with django_assert_num_queries(REPORT_FORM_QUERIES - 3):
        ok(client.get(reverse("report-edit", args=[june.pk, task_1_1.pk])))


def test_contribution_form_budget(client, lead_user, supporting_user, task_1_1, june, django_assert_num_queries):  # noqa: F811
    # session, user + unit, the period, the offices inside the user's unit, the task + group +
    # plan, its assignments + units, its indicators, the task's visibility and the unit's
    # supporting assignment (2), the contribution, its review record, the lead units' submitted
    # reports + unit, their actuals + indicators, their evidence, their review record, unread count
    file_report(lead_user, task_1_1, june)
    contribution = dispatch.contribution_save(user=supporting_user, task=task_1_1, period=june, text="配合")
    dispatch.filing_submit(user=supporting_user, filing=contribution)
    client.force_login(supporting_user)
    with django_assert_num_queries(SIGNED_IN + 13 + TOP_BAR):
        ok(client.get(reverse("contribution-edit", args=[june.pk, task_1_1.pk])))


# --- the task page: the same whatever the length of the history ------------------------------------

# the task + group + plan, its assignments + units, its indicators, STATE, the periods (the open
# ones the plan owes are the unit's filing buttons; one query whatever their number),
# the offices inside the user's unit (which drafts are its own); reports + unit + period + author,
# their review record + actors, actuals + indicators, evidence; contributions + unit + period,
# their review record; annual plans + unit, their review record, their evidence; the timeline:
# report labels, assignment history, unit names, indicator names, task history, report history,
# actuals history, review events + actors, the ladder steps on the task (supervision, through
# TASK_TIMELINE_SOURCES)
TASK_PAGE_QUERIES = SIGNED_IN + 3 + STATE + 2 + 4 + 2 + 3 + 8 + 1 + TOP_BAR


def history(lead_user, supporting_user, office, task, months: range) -> None:
    """Reports (approved, with an actual and a file), contributions and annual plans."""
    indicator = task.indicators.filter(year__isnull=True).first()
    for month in months:
        period = dispatch.period_open(year=2022, month=month)
        actuals = {indicator.pk: month} if indicator else {}
        report = dispatch.report_save(user=lead_user, task=task, period=period, actuals=actuals, files=[pdf_upload()],
                                      data=dispatch.ReportInput(completed="完成", next_plan="计划", progress=month * 8))
        dispatch.filing_submit(user=lead_user, filing=report)
        dispatch.filing_review(user=office, filing=report, action=ReviewAction.APPROVE)
        contribution = dispatch.contribution_save(user=supporting_user, task=task, period=period, text="配合")
        dispatch.filing_submit(user=supporting_user, filing=contribution)
    plan = dispatch.annual_plan_save(user=lead_user, task=task, year=2022, content="方案", files=[pdf_upload()])
    dispatch.filing_submit(user=lead_user, filing=plan)


@pytest.mark.parametrize("months", [range(1, 2), range(1, 6)], ids=["1 month", "5 months"])
def test_task_page_does_not_depend_on_the_length_of_the_history(
    client, lead_user, supporting_user, office, task_1_1, months, june, django_assert_num_queries,  # noqa: F811
):
    # June is open and falls due on Thursday: the lights count the working days to it.
    history(lead_user, supporting_user, office, task_1_1, months)
    client.force_login(office)
    with django_assert_num_queries(TASK_PAGE_QUERIES):
        response = ok(client.get(reverse("task-detail", args=[task_1_1.pk])))
    assert len(response.context["reports"]) == len(months)
    assert len(response.context["contributions"]) == len(months)


# --- the notification inbox ------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 45])
def test_notification_list_budget(client, lead_user, count, django_assert_num_queries):
    # session, user + unit, the count of the user's messages (pages), the page of messages
    # (unread first), unread count (the top bar and the page share it)
    Notification.objects.bulk_create(
        [Notification(recipient=lead_user, title=f"消息{i}", read_at=None if i % 2 else at(2022, 7, 1)) for i in range(count)]
    )
    client.force_login(lead_user)
    with django_assert_num_queries(SIGNED_IN + 2 + TOP_BAR):
        response = ok(client.get(reverse("notification-list")))
    assert len(response.context["page"].object_list) == min(count, 30)


def test_unread_count_reads_the_partial_index(client, lead_user, django_assert_num_queries):
    client.force_login(lead_user)
    with django_assert_num_queries(SIGNED_IN + 3 + TOP_BAR) as captured:
        ok(client.get(reverse("unit-list")))  # any page
    counts = [q["sql"] for q in captured.captured_queries if "tasks_notification" in q["sql"]]
    assert len(counts) == 1
    # The WHERE clause matches the index condition (read_at IS NULL) and its column.
    assert "COUNT(*)" in counts[0] and '"read_at" IS NULL' in counts[0] and '"recipient_id" =' in counts[0]


# --- home and plan browser with an open period -------------------------------------------------------

# current plan, the offices inside the user's unit, the unit's tasks + group + plan, assignments
# + units, STATE (of those tasks), the current period, the unit's returned filings (3), then the
# inbox: the unit's tasks + group + plan, their assignments to the unit, the period's reports and
# contributions, STATE (of the inbox rows, read again), the working days to the due date; the
# 督查督办 panel: the unit's findings counted, the 催办/督办单 awaiting its reply
HOME_WITH_PERIOD_QUERIES = SIGNED_IN + 4 + STATE + 1 + 3 + 4 + STATE + 1 + 2 + TOP_BAR


def test_home_of_a_unit_with_an_open_period(client, lead_user, supporting_user, office, plan, june, django_assert_num_queries):  # noqa: F811
    inbox_history(lead_user, supporting_user, office, plan, june)
    client.force_login(lead_user)
    with django_assert_num_queries(HOME_WITH_PERIOD_QUERIES):
        response = ok(client.get(reverse("home")))
    assert response.context["period"] == june and len(response.context["returned"]) == 1


def test_lights_on_track_do_not_read_the_calendar_per_unit(client, office, plan, june, settings, django_assert_num_queries):  # noqa: F811
    # Every lead unit on track: each light checks whether June's report is due soon. The working
    # days to the due date are counted once for all of them, from the state's one read of the
    # calendar over the periods the plan owes.
    settings.LIGHT_RED_BEHIND = settings.LIGHT_YELLOW_BEHIND = 101
    client.force_login(office)
    # session, user + unit, plan, tasks + group + plan, assignments + units, every indicator of
    # the plan, STATE, the moves of the plan's end (its history, with who moved it: the 方案期
    # panel), unread count, yearly targets
    with django_assert_num_queries(SIGNED_IN + 4 + STATE + 1 + TOP_BAR + 1) as captured:
        html = ok(client.get(reverse("plan-detail", args=[plan.pk]))).content.decode()
    assert "2022年6月进展还有 3 个工作日到期，尚未提交" in html
    # The state's two calendar reads (the plan's last due date; the entries over the periods it
    # owes), none per unit or per light.
    calendar = [q["sql"] for q in captured.captured_queries if "tasks_workingdayoverride" in q["sql"]]
    assert len(calendar) == 2
