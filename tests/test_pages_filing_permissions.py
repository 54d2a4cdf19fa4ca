"""Permission matrix of the monthly dispatch pages (taiga-back style): every page and action
called by every persona and by an anonymous client, with the status each must get.

On task 1.1 the lead unit is 新区行政审批与政务服务局 (lead_user) and 沣东新城 (supporting_user)
supports it; the outsider (新区考核办) cannot see it: 404. The office, inspectors and leaders
see the task but file nothing: 403 on the forms. Another unit's draft is never readable.
"""


import pytest
from django.test import Client
from django.urls import reverse

from tasks.models import Contribution, Evidence, Notification, ProgressReport
from tasks.services import dispatch
from tests.conftest import PERSONAS
from tests.matrix import assert_login_redirect, signed_in
from tests.test_pages_filing import file_report, june, media, pdf_upload  # noqa: F401  (fixtures)

ALL_200 = dict.fromkeys(PERSONAS, 200)
LEAD_FORM = {"office": 403, "inspector": 403, "leader": 403, "lead_user": 200, "supporting_user": 403, "outsider": 404}
SUPPORTING_FORM = {**LEAD_FORM, "lead_user": 403, "supporting_user": 200}
READERS = {**ALL_200, "outsider": 404}  # who may read a submitted report of 1.1
OWN_UNIT_ONLY = {**dict.fromkeys(PERSONAS, 404), "lead_user": 200}  # a draft of 审批局

GET_MATRIX: dict[str, dict[str, int]] = {
    "reporting-inbox": ALL_200,
    "report-edit": LEAD_FORM,
    "contribution-edit": SUPPORTING_FORM,
    "annual-plan-edit": LEAD_FORM,
    "notification-list": ALL_200,
    "evidence-download": READERS,  # of a submitted report
    "evidence-download-draft": OWN_UNIT_ONLY,
}

# A save from each form (302 on success, back to the page); marking messages read.
POST_MATRIX: dict[str, dict[str, int]] = {
    "report-edit": {**LEAD_FORM, "lead_user": 302},
    "contribution-edit": {**SUPPORTING_FORM, "supporting_user": 302},
    "annual-plan-edit": {**LEAD_FORM, "lead_user": 302},
    "notification-mark-read": dict.fromkeys(PERSONAS, 302),
}

POST_DATA = {
    "report-edit": {"completed": "本月完成情况", "action": "save"},
    "contribution-edit": {"text": "配合情况", "action": "save"},
    "annual-plan-edit": {"content": "年度工作方案", "action": "save"},
    "notification-mark-read": {},
}


@pytest.fixture
def anonymous():
    return None


@pytest.fixture
def evidence(lead_user, task_1_1, june):  # noqa: F811
    """A file of 审批局's submitted May report, and one of its June draft."""
    may = dispatch.period_open(year=2022, month=5)
    submitted = dispatch.report_save(user=lead_user, task=task_1_1, period=may,
                                     data=dispatch.ReportInput(completed="五月", next_plan="六月", progress=20),
                                     files=[pdf_upload("五月台账.pdf")])
    dispatch.filing_submit(user=lead_user, filing=submitted)
    draft = dispatch.report_save(user=lead_user, task=task_1_1, period=june,
                                 data=dispatch.ReportInput(completed="六月草稿"), files=[pdf_upload("六月台账.pdf")])
    return {"submitted": submitted.evidence.get(), "draft": draft.evidence.get()}


@pytest.fixture
def urls(task_1_1, june, evidence) -> dict[str, str]:  # noqa: F811
    return {
        "reporting-inbox": reverse("reporting-inbox"),
        "report-edit": reverse("report-edit", args=[june.pk, task_1_1.pk]),
        "contribution-edit": reverse("contribution-edit", args=[june.pk, task_1_1.pk]),
        "annual-plan-edit": reverse("annual-plan-edit", args=[2022, task_1_1.pk]),
        "notification-list": reverse("notification-list"),
        "notification-mark-read": reverse("notification-mark-read"),
        "evidence-download": reverse("evidence-download", args=[evidence["submitted"].pk]),
        "evidence-download-draft": reverse("evidence-download", args=[evidence["draft"].pk]),
    }






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
def test_post_matrix(client, urls, page, persona, request):
    name = request.node.callspec.params["persona"]
    response = signed_in(client, persona).post(urls[page], POST_DATA[page])
    if persona is None:
        assert_login_redirect(response, urls[page])
        return
    assert response.status_code == POST_MATRIX[page][name], (page, name)


def test_refused_posts_change_nothing(client, supporting_user, office, outsider, urls, evidence):
    before = ProgressReport.objects.get(pk=evidence["draft"].report_id).completed
    for user in (supporting_user, office, outsider):
        signed_in(client, user).post(urls["report-edit"], {"completed": "篡改", "action": "submit"})
        signed_in(client, user).post(urls["report-edit"], {"action": "discard"})
        signed_in(client, user).post(urls["report-edit"], {"delete_evidence": evidence["draft"].pk})
    draft = ProgressReport.objects.get(pk=evidence["draft"].report_id)
    assert (draft.completed, draft.status) == (before, "draft")
    assert Evidence.objects.filter(pk=evidence["draft"].pk).exists()


def test_another_units_draft_is_never_readable(client, lead_user, supporting_user, office, task_1_1, june, evidence):  # noqa: F811
    dispatch.contribution_save(user=supporting_user, task=task_1_1, period=june, text="沣东的草稿")
    contribution_page = html_of(signed_in(client, supporting_user).get(reverse("contribution-edit", args=[june.pk, task_1_1.pk])))
    assert "六月草稿" not in contribution_page  # the lead unit's draft
    task_page = html_of(signed_in(client, office).get(reverse("task-detail", args=[task_1_1.pk])))
    assert "六月草稿" not in task_page and "沣东的草稿" not in task_page
    assert "六月台账.pdf" not in task_page and "五月台账.pdf" in task_page
    lead_page = html_of(signed_in(client, lead_user).get(reverse("task-detail", args=[task_1_1.pk])))
    assert "沣东的草稿" not in lead_page and "六月草稿" in lead_page


def test_a_colleague_of_the_same_unit_shares_its_drafts(client, task_1_1, june, evidence):  # noqa: F811
    from tests.factories import UserFactory

    colleague = UserFactory.in_unit("新区行政审批与政务服务局")
    response = signed_in(client, colleague).get(reverse("report-edit", args=[june.pk, task_1_1.pk]))
    assert response.status_code == 200 and "六月草稿" in html_of(response)


def test_missing_period_or_task_is_404(client, lead_user, task_1_1, june):  # noqa: F811
    signed_in(client, lead_user)
    assert client.get(reverse("report-edit", args=[987654, task_1_1.pk])).status_code == 404
    assert client.get(reverse("report-edit", args=[june.pk, 987654])).status_code == 404
    assert client.get(reverse("contribution-edit", args=[987654, task_1_1.pk])).status_code == 404
    assert client.get(reverse("annual-plan-edit", args=[2022, 987654])).status_code == 404
    assert client.get(reverse("evidence-download", args=[987654])).status_code == 404


def test_post_only_actions_refuse_get(client, lead_user):
    signed_in(client, lead_user)
    note = Notification.objects.create(recipient=lead_user, title="一条消息")
    assert client.get(reverse("notification-mark-read")).status_code == 405
    assert client.get(reverse("notification-open", args=[note.pk])).status_code == 405
    assert Notification.objects.get(pk=note.pk).read_at is None


@pytest.mark.parametrize("page", ["report-edit", "contribution-edit", "annual-plan-edit", "notification-mark-read",
                                  "notification-open"])
def test_every_post_needs_a_csrf_token(lead_user, supporting_user, urls, page):
    user = supporting_user if page == "contribution-edit" else lead_user
    note = Notification.objects.create(recipient=user, title="一条消息")
    url = reverse("notification-open", args=[note.pk]) if page == "notification-open" else urls[page]
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(url, POST_DATA.get(page, {}))
    assert response.status_code == 403
    assert "页面已过期" in html_of(response)
    assert Notification.objects.get(pk=note.pk).read_at is None
    assert not Contribution.objects.filter(text="配合情况").exists()


def html_of(response) -> str:
    return response.content.decode()
