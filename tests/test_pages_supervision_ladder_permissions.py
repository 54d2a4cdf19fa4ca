"""Permission matrix of the ladder's pages (督办): every route called with GET and with POST by
every persona and by an anonymous client, with the status each must get.

The steps are addressed to 新区行政审批与政务服务局 (lead_user's unit): 沣东新城 (supporting_user)
and 新区考核办 (outsider) cannot see them — 404. The office sends, decides, compiles and sets
the robot; inspectors and leaders read what goes across units (the board, extensions) and get
403 on the office's actions; a unit gets 403 on the pages across units, and only the unit
addressed replies. A route that takes one method answers the other with 405.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from supervision.choices import ExtensionStatus
from supervision.models import Bulletin, Escalation, ExtensionRequest, MessengerWebhook
from supervision.services import bulletin_compile, extension_request
from tests.conftest import PERSONAS
from tests.matrix import assert_login_redirect, signed_in
from tests.test_pages_supervision_ladder import a_finding, dns, notice, today, urge  # noqa: F401  (fixtures)

ALL = dict.fromkeys(PERSONAS, 200)
ACROSS_UNITS = {"office": 200, "inspector": 200, "leader": 200, "lead_user": 403, "supporting_user": 403, "outsider": 403}
OFFICE_ONLY = {**dict.fromkeys(PERSONAS, 403), "office": 200}
ADDRESSEE_READS = {**ALL, "supporting_user": 404, "outsider": 404}
NOT_ALLOWED = dict.fromkeys(PERSONAS, 405)

GET_MATRIX: dict[str, dict[str, int]] = {
    "overdue-board": ACROSS_UNITS,
    "escalation-list": ALL,
    "escalation-new": OFFICE_ONLY,
    "escalation-detail": ADDRESSEE_READS,
    "notice-print": ADDRESSEE_READS,
    "notice-download": ADDRESSEE_READS,
    "extension-list": ACROSS_UNITS,
    "extension-decide": NOT_ALLOWED,
    "bulletin-list": ALL,
    "bulletin-detail": ALL,
    "bulletin-compile": NOT_ALLOWED,
    "messenger": OFFICE_ONLY,
}

POST_MATRIX: dict[str, dict[str, int]] = {
    "overdue-board": NOT_ALLOWED,
    "escalation-list": NOT_ALLOWED,
    "escalation-new": {**OFFICE_ONLY, "office": 302},
    # The reply: only the unit addressed; those who read it but may not reply, 403.
    "escalation-detail": {**ADDRESSEE_READS, "office": 403, "inspector": 403, "leader": 403, "lead_user": 302},
    "notice-print": NOT_ALLOWED,
    "notice-download": NOT_ALLOWED,
    "extension-list": NOT_ALLOWED,
    "extension-decide": {**OFFICE_ONLY, "office": 302},
    "bulletin-list": NOT_ALLOWED,
    "bulletin-detail": NOT_ALLOWED,
    "bulletin-compile": {**OFFICE_ONLY, "office": 302},
    "messenger": {**OFFICE_ONLY, "office": 302},
}


@pytest.fixture
def anonymous():
    return None


@pytest.fixture
def objects(today, office, inspector, lead_user):  # noqa: F811
    """A 催办 and a 督办单 to 审批局 about an overdue finding, a pending extension request on
    another of its findings, and January's 通报."""
    overdue = a_finding(inspector)
    pending = a_finding(inspector, found_on=dt.date(2026, 2, 10))
    extension = extension_request(user=lead_user, finding=pending, requested_due_date=dt.date(2026, 3, 10),
                                  reason="需协调。")
    return {"urge": urge(office, overdue), "notice": notice(office, overdue), "finding": overdue,
            "extension": extension, "bulletin": bulletin_compile(year=2026, month=1)}


@pytest.fixture
def urls(objects) -> dict[str, str]:
    return {
        "overdue-board": reverse("supervision:overdue-board"),
        "escalation-list": reverse("supervision:escalation-list"),
        "escalation-new": f"{reverse('supervision:escalation-new')}?finding={objects['finding'].pk}",
        "escalation-detail": reverse("supervision:escalation-detail", args=[objects["urge"].pk]),
        "notice-print": reverse("supervision:notice-print", args=[objects["notice"].pk]),
        "notice-download": reverse("supervision:notice-download", args=[objects["notice"].pk]),
        "extension-list": reverse("supervision:extension-list"),
        "extension-decide": reverse("supervision:extension-decide", args=[objects["extension"].pk]),
        "bulletin-list": reverse("supervision:bulletin-list"),
        "bulletin-detail": reverse("supervision:bulletin-detail", args=[objects["bulletin"].pk]),
        "bulletin-compile": reverse("supervision:bulletin-compile"),
        "messenger": reverse("supervision:messenger"),
    }


def post_data(page: str, objects) -> dict:
    """A valid POST for each route (what the office's or the unit's form would send)."""
    prefix = f"ext{objects['extension'].pk}"
    return {
        "escalation-new": {"level": "urge", "message": "请抓紧办理。"},
        "escalation-detail": {"reply": "已整改完毕。"},
        "extension-decide": {f"{prefix}-decision": "grant", f"{prefix}-due_date": "2026-03-10"},
        "bulletin-compile": {"year": "2026", "month": "2"},
        "messenger": {"url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", "is_active": "on"},
    }.get(page, {})






def test_the_matrix_covers_every_ladder_route():
    from supervision import urls_ladder

    names = {pattern.name for pattern in urls_ladder.urlpatterns}
    assert names == set(GET_MATRIX) == set(POST_MATRIX)


@pytest.mark.parametrize("persona", [*PERSONAS, "anonymous"], indirect=True)
@pytest.mark.parametrize("page", list(GET_MATRIX))
def test_get_matrix(client, urls, page, persona, request):
    name = request.node.callspec.params["persona"]
    response = signed_in(client, persona).get(urls[page])
    if persona is None:
        assert_login_redirect(response, urls[page])
    else:
        assert response.status_code == GET_MATRIX[page][name], (page, name)


@pytest.mark.parametrize("persona", [*PERSONAS, "anonymous"], indirect=True)
@pytest.mark.parametrize("page", list(POST_MATRIX))
def test_post_matrix(client, urls, objects, dns, page, persona, request):  # noqa: F811
    name = request.node.callspec.params["persona"]
    response = signed_in(client, persona).post(urls[page], post_data(page, objects))
    if persona is None:
        assert_login_redirect(response, urls[page])
    else:
        assert response.status_code == POST_MATRIX[page][name], (page, name)


@pytest.mark.parametrize("persona", ["inspector", "leader", "lead_user", "supporting_user", "outsider"], indirect=True)
def test_refused_posts_change_nothing(client, urls, objects, dns, persona):  # noqa: F811
    before = Escalation.objects.count(), Bulletin.objects.count()
    signed_in(client, persona)
    for page in ("escalation-new", "extension-decide", "bulletin-compile", "messenger"):
        client.post(urls[page], post_data(page, objects))
    if persona.role != "unit_staff" or persona.unit.name != "新区行政审批与政务服务局":
        client.post(urls["escalation-detail"], post_data("escalation-detail", objects))
    assert (Escalation.objects.count(), Bulletin.objects.count()) == before
    assert ExtensionRequest.objects.get(pk=objects["extension"].pk).status == ExtensionStatus.PENDING
    assert not MessengerWebhook.objects.exists()
    assert Escalation.objects.get(pk=objects["urge"].pk).replied_at is None


def test_another_unit_cannot_reach_a_step_through_the_item_of_its_own(client, objects, supporting_user):
    """The reply, the notice and its download of 审批局's steps are 404 for 沣东新城, however asked."""
    client.force_login(supporting_user)
    for pk in (objects["urge"].pk, objects["notice"].pk):
        for name in ("supervision:escalation-detail", "supervision:notice-print", "supervision:notice-download"):
            assert client.get(reverse(name, args=[pk])).status_code == 404
