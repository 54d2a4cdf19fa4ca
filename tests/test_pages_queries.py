"""Query budgets of the pages: fixed, whatever the number of tasks shown.

Each budget names its queries, in the order they run. A signed-in request through the test
client always costs two before the view runs: the session row and the user row, which comes
with the user's unit (one join) for the top bar. Every full page adds one more for the top bar:
the unread notifications count (one COUNT on the partial index ``notification_unread``).

Lights (红黄绿灯) come from the tasks' state (``tasks.selectors.state``), read per plan among the
tasks shown with a fixed number of queries whatever the number of tasks. The seed plan
(2020–2022) has ended: with the clock where it is (after 2022), its figures are those of its
final moment, a moment in the past, so its state costs five queries (``STATE``):
- the calendar of the plan's last due date (``ActionPlan.final_day``: whether it has ended);
- the plan's history (its dates and division of tasks as they stood at that moment);
- the periods the plan owes (none opened here, so neither the calendar over them nor the lead
  units' reports are read: Django skips a query on an empty ``__in``);
- the lead units in force on the tasks shown;
- their returns (the office's 退回 up to that moment).
The pages of monthly dispatch, with periods and a plan in force, have their own budgets in
test_pages_filing_queries.py.
"""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from tasks.models import Task

# the final due date's calendar, whether a report was recorded since the plan's final moment, the
# plan's history, periods owed, lead units in force, returns
STATE = 6


@pytest.fixture
def as_office(client, office):
    client.force_login(office)
    return client


def ok(response):
    assert response.status_code == 200, response.content[:300]
    return response


# --- plan browser ----------------------------------------------------------------------------

# session, user + unit, plan, tasks + group + plan (one join; a unit user's scope is a
# subquery), assignments + units, every indicator of the plan (shared out to its tasks; the
# plan-level ones are the 工作目标 table), STATE (lights: the final due date's calendar, the
# plan's history, periods owed, lead units in force, their returns), the moves of the plan's end
# (its history again, with who moved it: the 方案期 panel), unread notifications count, yearly
# targets
PLAN_DETAIL_QUERIES = 6 + STATE + 3


def test_plan_detail_office(as_office, plan, django_assert_num_queries):
    with django_assert_num_queries(PLAN_DETAIL_QUERIES):
        response = ok(as_office.get(reverse("plan-detail", args=[plan.pk])))
    assert response.context["task_count"] == 57


def test_plan_detail_unit_user(client, lead_user, plan, django_assert_num_queries):
    client.force_login(lead_user)
    with django_assert_num_queries(PLAN_DETAIL_QUERIES):
        response = ok(client.get(reverse("plan-detail", args=[plan.pk])))
    assert response.context["task_count"] == 18


def test_plan_detail_does_not_depend_on_the_number_of_tasks(as_office, plan, django_assert_num_queries):
    Task.objects.filter(plan=plan).exclude(code="1.1").update(is_active=False)
    with django_assert_num_queries(PLAN_DETAIL_QUERIES):
        response = ok(as_office.get(reverse("plan-detail", args=[plan.pk])))
    assert response.context["task_count"] == 1


# --- task search -----------------------------------------------------------------------------

# session, user + unit, count (paginator), the page of tasks + group + plan (one join),
# assignments + units, STATE (lights: the final due date's calendar, the plan's history, periods
# owed, lead units in force, their returns), the offices inside the user's unit, unread
# notifications count, the filter form's choices: plans, groups + plan, units; and the plan the
# search opens on when none was asked for (the one in force, else the newest: plan_current) with
# the filter's check of it
TASK_LIST_QUERIES = 5 + STATE + 5 + 2


@pytest.mark.parametrize(("params", "shown"), [({}, 50), ({"q": "绿色通道"}, 1), ({"kind": "safeguard"}, 6)])
def test_task_list_office(as_office, django_assert_num_queries, params, shown):
    with django_assert_num_queries(TASK_LIST_QUERIES):
        response = ok(as_office.get(reverse("task-list"), params))
    assert len(response.context["page"].object_list) == shown


@pytest.mark.parametrize(("params", "shown"), [({}, 18), ({"q": "绿色通道"}, 1)])
def test_task_list_unit_user(client, lead_user, django_assert_num_queries, params, shown):
    # The same fifteen; the scope query runs first, for the visibility check.
    client.force_login(lead_user)
    with django_assert_num_queries(TASK_LIST_QUERIES):
        response = ok(client.get(reverse("task-list"), params))
    assert len(response.context["page"].object_list) == shown


def test_task_list_filtered_by_group_adds_the_choice_check(as_office, task_1_1, django_assert_num_queries):
    # The fifteen above + the lookup that validates the chosen group.
    with django_assert_num_queries(TASK_LIST_QUERIES + 1):
        response = ok(as_office.get(reverse("task-list"), {"group": task_1_1.group_id}))
    assert len(response.context["page"].object_list) == 4


def test_task_list_htmx_fragment(as_office, django_assert_num_queries):
    # The fragment has no form and no top bar: session, user, count, tasks + group + plan,
    # assignments + units, STATE (lights: the final due date's calendar, the plan's history,
    # periods owed, lead units in force, their returns), the offices inside the user's unit, the
    # plan chosen when none was asked for and the filter's check of it.
    with django_assert_num_queries(5 + STATE + 1 + 2):
        ok(as_office.get(reverse("task-list"), headers={"HX-Request": "true"}))


# --- home ------------------------------------------------------------------------------------

# session, user + unit, current plan, the offices inside the user's unit (visibility scope and
# roles, looked up once), the unit's tasks + group + plan, assignments + units, STATE (lights: the
# final due date's calendar, the plan's history, periods owed, lead units in force, their
# returns), the current period (none open here: no inbox), the unit's returned reports,
# contributions and annual plans with their return comments (3), the 督查督办 panel (its findings
# counted in one query, the 催办/督办单 awaiting its reply), unread notifications count. With an
# open period the inbox adds its own: see test_pages_filing_queries.py.
HOME_UNIT_USER_QUERIES = 6 + STATE + 7


@pytest.mark.parametrize(("persona", "count"), [("lead_user", 18), ("outsider", 1)], indirect=["persona"])
def test_home_unit_user(client, persona, count, django_assert_num_queries):
    client.force_login(persona)
    with django_assert_num_queries(HOME_UNIT_USER_QUERIES):
        mine = ok(client.get(reverse("home"))).context["mine"]
    assert sum(len(tasks) for tasks in mine.values()) == count


def test_home_does_not_depend_on_the_number_of_tasks(client, lead_user, plan, django_assert_num_queries):
    Task.objects.filter(plan=plan).exclude(code="1.1").update(is_active=False)
    client.force_login(lead_user)
    with django_assert_num_queries(HOME_UNIT_USER_QUERIES):
        mine = ok(client.get(reverse("home"))).context["mine"]
    assert sum(len(tasks) for tasks in mine.values()) == 1


def test_home_office(client, office, django_assert_num_queries):
    # session, user + unit, current plan, tasks per group (one GROUP BY), the plan's groups,
    # the offices inside the user's unit (roles and highlighting, looked up once), the unit's
    # tasks + group + plan, assignments + units, STATE (lights: the final due date's calendar,
    # the plan's history, periods owed, lead units in force, their returns; the plan had ended
    # by 2026 too), the years whose holidays the office entered (calendar warning: 2027 is
    # beyond the calendar library), the 督查督办 panel (findings counted in one query, pending
    # extension requests), unread notifications count
    with time_machine.travel(datetime.datetime(2026, 11, 30, 9, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        client.force_login(office)
        with django_assert_num_queries(8 + STATE + 4):
            response = ok(client.get(reverse("home")))
    assert response.context["summary_total"] == 57
    assert response.context["calendar_warnings"] == [2027]


# --- task, unit pages --------------------------------------------------------------------------


# A task without any report yet (with a history: test_pages_filing_queries.py):
# session, user + unit, task + group + plan, assignments + units, indicators, STATE (lights:
# the final due date's calendar, the plan's history, periods owed, lead units in force, their
# returns), the periods (the filing buttons), the offices inside the user's unit (which
# drafts are its own), reports, contributions, annual plans; the timeline: report labels,
# assignment history, unit names, indicator names, task history, the ladder steps on the task
# (supervision, through TASK_TIMELINE_SOURCES); unread notifications count
TASK_DETAIL_QUERIES = 5 + STATE + 12


def test_task_detail(as_office, task_1_1, django_assert_num_queries):
    with django_assert_num_queries(TASK_DETAIL_QUERIES):
        ok(as_office.get(reverse("task-detail", args=[task_1_1.pk])))


def test_unit_list(as_office, django_assert_num_queries):
    # session, user + unit, units + parent, aliases, members, unread notifications count
    with django_assert_num_queries(6):
        ok(as_office.get(reverse("unit-list")))


def test_the_task_search_opens_on_the_plan_in_force_and_keeps_every_plan_on_request(as_office, plan):
    """Two plans: the search opens on the one in force; ?plan= (empty) lists every plan's tasks."""
    from tasks.models import ActionPlan, TaskGroup

    later = ActionPlan.objects.create(title="测试行动方案（2026年—2027年）", start_year=2026, end_year=2027,
                                      source_text="测试", source_sha256="6" * 64, imported_at=plan.imported_at)
    group = TaskGroup.objects.create(plan=later, kind="main", number=1, title="测试任务组")
    Task.objects.create(plan=later, group=group, number=1, code="1.1", title="测试任务", text="测试")
    shown = ok(as_office.get(reverse("task-list"))).context["page"].object_list
    assert [t.plan_id for t in shown] == [later.pk]
    every = ok(as_office.get(reverse("task-list"), {"plan": ""})).context["page"].paginator.count
    assert every == Task.objects.active().count()
