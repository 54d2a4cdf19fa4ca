"""Query budgets of the API lists: fixed, whatever the number of rows on the page.

Each budget names its queries. A signed-in request through the test client always costs two
before the view runs: the session row and the user row with its unit (SessionAuthentication).
Task rows carry their unit names from one values query (selectors.task_unit_names_attach).
"""

import pytest
from django.urls import reverse

from tasks.choices import GroupKind


@pytest.fixture
def as_office(client, office):
    client.force_login(office)
    return client


@pytest.fixture
def as_lead_user(client, lead_user):
    client.force_login(lead_user)
    return client


def rows(response) -> int:
    assert response.status_code == 200, response.content
    return len(response.json()["results"])


def test_task_list_office(as_office, django_assert_num_queries):
    # session, user, count, tasks + group + plan (one join), unit names of the page's tasks; the tasks' state (tasks.selectors.state), a fixed 6 for the seed plan, ended: the calendar of its
    # last due date, whether a report of it was recorded since its final moment (no: today's rows are
    # read), its dates then, its periods, its lead units then, their returns (no period: no reports read)
    for page_size in (10, 50):
        with django_assert_num_queries(11):
            assert rows(as_office.get(reverse("api:task-list"), {"page_size": page_size})) == page_size


def test_task_list_unit_user(as_lead_user, django_assert_num_queries):
    # session, user, count, tasks (the user's unit and its offices as a subquery), unit names; the tasks' state (tasks.selectors.state), a fixed 6 for the seed plan, ended: the calendar of its
    # last due date, whether a report of it was recorded since its final moment (no: today's rows are
    # read), its dates then, its periods, its lead units then, their returns (no period: no reports read)
    with django_assert_num_queries(11):
        many = rows(as_lead_user.get(reverse("api:task-list"), {"kind": GroupKind.MAIN}))
    with django_assert_num_queries(11):
        few = rows(as_lead_user.get(reverse("api:task-list"), {"q": "用水"}))
    assert (many, few) == (18, 1)


def test_task_list_filters_by_kind_cost_nothing_more(as_office, django_assert_num_queries):
    # session, user, count, tasks, unit names, the state's 6: 47 rows or 6, the same eleven queries
    for kind, expected in ((GroupKind.MAIN, 47), (GroupKind.SAFEGUARD, 6)):
        with django_assert_num_queries(11):
            assert rows(as_office.get(reverse("api:task-list"), {"kind": kind})) == expected


def test_task_detail(as_office, task_1_1, django_assert_num_queries):
    # session, user, task + group + plan, indicators, unit names; the tasks' state (tasks.selectors.state), a fixed 6 for the seed plan, ended: the calendar of its
    # last due date, whether a report of it was recorded since its final moment (no: today's rows are
    # read), its dates then, its periods, its lead units then, their returns (no period: no reports read)
    with django_assert_num_queries(11):
        assert as_office.get(reverse("api:task-detail", args=[task_1_1.pk])).status_code == 200


def test_indicator_list(as_office, django_assert_num_queries):
    # session, user, count, indicators + task + plan (one join)
    for page_size in (10, 45):
        with django_assert_num_queries(4):
            assert rows(as_office.get(reverse("api:indicator-list"), {"page_size": page_size})) == page_size


def test_indicator_list_unit_user(as_lead_user, django_assert_num_queries):
    # session, user, count, indicators + task + plan (the scope as a subquery)
    for page_size in (2, 10):
        with django_assert_num_queries(4):
            assert rows(as_lead_user.get(reverse("api:indicator-list"), {"page_size": page_size})) == page_size


def test_unit_list(as_office, django_assert_num_queries):
    # session, user, count, units, aliases (prefetch)
    for page_size in (5, 50):
        with django_assert_num_queries(5):
            assert rows(as_office.get(reverse("api:unit-list"), {"page_size": page_size})) >= 5


def test_plan_list(as_office, django_assert_num_queries):
    # session, user, count, plans, targets (prefetch)
    with django_assert_num_queries(5):
        assert rows(as_office.get(reverse("api:plan-list"))) == 1


def test_group_list(as_office, django_assert_num_queries):
    # session, user, count, groups (the plans' scope is a subquery)
    with django_assert_num_queries(4):
        assert rows(as_office.get(reverse("api:group-list"))) == 12
