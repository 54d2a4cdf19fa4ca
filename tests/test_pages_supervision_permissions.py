"""Permission matrix of the inspection pages (taiga-back style): every page and action called by
every persona and by an anonymous client, with the status each must get.

The findings are against 新区行政审批与政务服务局 (lead_user): 沣东新城 (supporting_user) and
新区考核办 (outsider) cannot see them or their round: 404. The office, inspectors and leaders see
everything; inspectors log and verify findings, the office and inspectors organise rounds, only
the responsible unit rectifies and asks for extensions: everyone else who can see gets 403.
"""


import pytest
from django.urls import reverse

from supervision.choices import FindingStatus
from supervision.models import (
    ExtensionRequest,
    Finding,
    FindingEvidence,
    InspectionRound,
    Rectification,
)
from tests.conftest import PERSONAS
from tests.matrix import assert_login_redirect, signed_in
from tests.test_pages_supervision_inspections import (  # noqa: F401  (fixtures)
    bureau,
    finding,
    make_finding,
    media,
    monday,
    pdf_upload,
    rectify_and_submit,
    round_q2,
)

ALL_200 = dict.fromkeys(PERSONAS, 200)
NOT_SEEN = {"supporting_user": 404, "outsider": 404}
READERS = {**ALL_200, **NOT_SEEN}  # who may read a finding against 审批局 and its round
ORGANISERS = {"office": 200, "inspector": 200, "leader": 403, "lead_user": 403, **NOT_SEEN}
INSPECTOR_ONLY = {"office": 403, "inspector": 200, "leader": 403, "lead_user": 403, **NOT_SEEN}
UNIT_ONLY = {"office": 403, "inspector": 403, "leader": 403, "lead_user": 200, **NOT_SEEN}

GET_MATRIX: dict[str, dict[str, int]] = {
    "round-list": ALL_200,  # a unit sees the rounds that found something against it
    "round-new": {**ORGANISERS, "supporting_user": 403, "outsider": 403},
    "round-detail": READERS,
    "round-edit": ORGANISERS,
    "finding-new": INSPECTOR_ONLY,
    "finding-list": ALL_200,  # a unit sees its own findings only
    "finding-detail": READERS,
    "finding-evidence": READERS,
    "verification-queue": {"office": 200, "inspector": 200, "leader": 200,
                           "lead_user": 403, "supporting_user": 403, "outsider": 403},
}


def ok_to_302(matrix: dict[str, int]) -> dict[str, int]:
    return {name: 302 if status == 200 else status for name, status in matrix.items()}


POST_MATRIX: dict[str, dict[str, int]] = {
    "round-new": ok_to_302(GET_MATRIX["round-new"]),
    "round-edit": ok_to_302(ORGANISERS),
    "finding-new": ok_to_302(INSPECTOR_ONLY),
    "finding-rectify": ok_to_302(UNIT_ONLY),
    "finding-verify": ok_to_302(INSPECTOR_ONLY),  # of a submitted finding
    "finding-extension": ok_to_302(UNIT_ONLY),
}
READ_ONLY = ["round-list", "round-detail", "finding-list", "finding-detail", "finding-evidence", "verification-queue"]


@pytest.fixture
def anonymous():
    return None


@pytest.fixture
def submitted(inspector, round_q2, bureau, lead_user):  # noqa: F811
    return rectify_and_submit(lead_user, make_finding(inspector, round_q2, bureau, description="已提交核验的问题"))


@pytest.fixture
def urls(finding, submitted, round_q2) -> dict[str, str]:  # noqa: F811
    evidence = finding.evidence.get()
    return {
        "round-list": reverse("supervision:round-list"),
        "round-new": reverse("supervision:round-new"),
        "round-detail": reverse("supervision:round-detail", args=[round_q2.pk]),
        "round-edit": reverse("supervision:round-edit", args=[round_q2.pk]),
        "finding-new": reverse("supervision:finding-new", args=[round_q2.pk]),
        "finding-list": reverse("supervision:finding-list"),
        "finding-detail": reverse("supervision:finding-detail", args=[finding.pk]),
        "finding-evidence": reverse("supervision:finding-evidence", args=[evidence.pk]),
        "verification-queue": reverse("supervision:verification-queue"),
        "finding-rectify": reverse("supervision:finding-rectify", args=[finding.pk]),
        "finding-verify": reverse("supervision:finding-verify", args=[submitted.pk]),
        "finding-extension": reverse("supervision:finding-extension", args=[finding.pk]),
    }


@pytest.fixture
def post_data(inspector, bureau, round_q2):  # noqa: F811
    return {
        "round-new": {"year": "2022", "quarter": "3", "title": "三季度专项督查", "method": "four_nos",
                      "status": "planned", "team": [inspector.pk]},
        "round-edit": {"year": "2022", "quarter": "2", "title": "二季度专项督查（修改）", "method": "special",
                       "status": "in_progress", "team": [inspector.pk]},
        "finding-new": {"unit": bureau.pk, "description": "新发现的问题", "severity": "general",
                        "deadline_working_days": "10"},
        "finding-rectify": {"measures": "整改措施", "result": "整改结果", "action": "submit"},
        "finding-verify": {"action": "reject", "comment": "材料不足。"},
        "finding-extension": {"requested_due_date": "2022-07-01", "reason": "需协调。"},
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
def test_post_matrix(client, urls, post_data, page, persona, request):
    name = request.node.callspec.params["persona"]
    response = signed_in(client, persona).post(urls[page], post_data[page])
    if persona is None:
        assert_login_redirect(response, urls[page])
        return
    assert response.status_code == POST_MATRIX[page][name], (page, name, response.content.decode()[:300])


@pytest.mark.parametrize("page", READ_ONLY)
def test_read_only_pages_refuse_posts(client, office, urls, page):
    assert signed_in(client, office).post(urls[page]).status_code == 405


@pytest.mark.parametrize("page", ["finding-rectify", "finding-verify", "finding-extension"])
def test_action_urls_refuse_gets(client, lead_user, urls, page):
    assert signed_in(client, lead_user).get(urls[page]).status_code == 405


def test_refused_posts_change_nothing(client, urls, post_data, finding, submitted, round_q2,  # noqa: F811
                                      office, leader, supporting_user, outsider, lead_user):
    before = {
        "findings": Finding.objects.count(),
        "statuses": dict(Finding.objects.values_list("pk", "status")),
        "round": InspectionRound.objects.filter(pk=round_q2.pk).values("title", "status", "method").get(),
        "rounds": InspectionRound.objects.count(),
        "rectifications": Rectification.objects.count(),
        "evidence": FindingEvidence.objects.count(),
    }
    refused = {
        "round-new": (leader, lead_user, supporting_user, outsider),
        "round-edit": (leader, lead_user, supporting_user, outsider),
        "finding-new": (office, leader, lead_user, supporting_user, outsider),
        "finding-rectify": (office, leader, supporting_user, outsider),
        "finding-verify": (office, leader, lead_user, supporting_user, outsider),
        "finding-extension": (office, leader, supporting_user, outsider),
    }
    for page, users in refused.items():
        for user in users:
            data = dict(post_data[page])
            if page in ("finding-new", "finding-rectify"):
                data["files"] = [pdf_upload("不应保存.pdf")]
            response = signed_in(client, user).post(urls[page], data)
            assert response.status_code in (403, 404), (page, user)
    after = {
        "findings": Finding.objects.count(),
        "statuses": dict(Finding.objects.values_list("pk", "status")),
        "round": InspectionRound.objects.filter(pk=round_q2.pk).values("title", "status", "method").get(),
        "rounds": InspectionRound.objects.count(),
        "rectifications": Rectification.objects.count(),
        "evidence": FindingEvidence.objects.count(),
    }
    assert after == before
    assert not ExtensionRequest.objects.exists()
    assert Finding.objects.get(pk=submitted.pk).status == FindingStatus.SUBMITTED


def test_unit_sees_only_its_own_findings_and_rounds(client, inspector, round_q2, finding, supporting_user):  # noqa: F811
    from supervision.models import Finding as F
    from tasks.models import Unit

    fengdong = Unit.objects.get(name="沣东新城")
    own = make_finding(inspector, round_q2, fengdong, description="沣东新城自己的问题")
    other_round = InspectionRound.objects.create(year=2022, quarter=1, title="一季度督查")
    make_finding(inspector, other_round, Unit.objects.get(name="新区考核办"), description="考核办的问题")
    signed_in(client, supporting_user)
    page = client.get(reverse("supervision:finding-list")).content.decode()
    assert own.number in page and finding.number not in page and "考核办的问题" not in page
    rounds = client.get(reverse("supervision:round-list")).content.decode()
    assert round_q2.title in rounds and "一季度督查" not in rounds
    detail = client.get(reverse("supervision:round-detail", args=[round_q2.pk])).content.decode()
    assert own.number in detail and finding.number not in detail
    assert F.objects.count() == 3
