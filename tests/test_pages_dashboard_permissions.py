"""Permission matrix of the dashboard pages (看板): every page called with GET and with POST by
every persona and by an anonymous client.

Every signed-in user may open every dashboard — the office, inspectors and leaders see the whole
plan, a unit's staff their own slice (tests/test_pages_dashboard.py checks the figures). An
anonymous visitor is sent to the login page. The pages only read: POST is 405 for everyone.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import PERSONAS
from tests.matrix import assert_login_redirect, signed_in

PAGES = ["dashboard-overview", "dashboard-groups", "dashboard-group", "dashboard-units", "dashboard-indicators",
         "dashboard-risks"]
GET_MATRIX = {page: {**dict.fromkeys(PERSONAS, 200), "anonymous": "login"} for page in PAGES}
POST_MATRIX = {page: {**dict.fromkeys(PERSONAS, 405), "anonymous": 405} for page in PAGES}


@pytest.fixture
def anonymous():
    return None


def url_of(page: str, plan) -> str:
    args = [plan.groups.order_by("kind", "number").first().pk] if page == "dashboard-group" else []
    return reverse(page, args=args)


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("who", [*PERSONAS, "anonymous"])
def test_get(client, request, plan, page, who):
    user = request.getfixturevalue(who)
    url = url_of(page, plan)
    response = signed_in(client, user).get(url)
    expected = GET_MATRIX[page][who]
    if expected == "login":
        assert_login_redirect(response, url)
    else:
        assert response.status_code == expected
        assert response.context["frame"].plan == plan


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("who", [*PERSONAS, "anonymous"])
def test_post(client, request, plan, page, who):
    user = request.getfixturevalue(who)
    response = signed_in(client, user).post(url_of(page, plan), {"month": "2020-12"})
    assert response.status_code == POST_MATRIX[page][who]


@pytest.mark.parametrize("who", PERSONAS)
def test_the_top_bar_links_the_dashboards(client, request, who):
    html = signed_in(client, request.getfixturevalue(who)).get(reverse("dashboard-units")).content.decode()
    assert f'<a href="{reverse("dashboard-overview")}" class="is-active" aria-current="page">看板</a>' in html
