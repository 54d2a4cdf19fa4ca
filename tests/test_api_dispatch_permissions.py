"""Permission matrix of the monthly-dispatch API: every endpoint and every action of periods,
progress reports, contributions and annual work plans, called by every persona and by an
anonymous client, with the status each must get (taiga-back style).

The filings sit on task 1.1 (lead 新区行政审批与政务服务局 = lead_user; supporting 沣东新城 =
supporting_user; outside the outsider's scope). Progress reports and annual plans are filed by
lead_user, contributions by supporting_user: "the filer" below. The rules, all from the services:
- a draft is its unit's own: everyone else gets 404, the office included;
- a filing that is not a draft is read by whoever sees the task; acting on it is 403 for those
  who may not, 404 for the outsider who cannot see it;
- only the filer's unit saves, submits and discards; only the office approves, returns and
  reopens; leaders and inspectors only read;
- an approved filing is locked and a filing ever submitted cannot be deleted (400).
Every refusal leaves the filing exactly as it was.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tasks.choices import ReviewAction
from tasks.models import AnnualWorkPlan, Contribution, ProgressReport, ReportingPeriod, Task
from tasks.services import dispatch
from tests.conftest import PERSONAS

ANONYMOUS = 401
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
FILER = {"report": "lead_user", "contribution": "supporting_user", "annual-plan": "lead_user"}
MODELS = {"report": ProgressReport, "contribution": Contribution, "annual-plan": AnnualWorkPlan}


def only(persona: str, status: int, others: int) -> dict[str, int]:
    return {p: status if p == persona else others for p in PERSONAS}


def seen_by_task(persona: str, status: int) -> dict[str, int]:
    """A filing that is not a draft: 403 for whoever sees the task but may not act, 404 for the
    outsider who does not see it."""
    return {**only(persona, status, 403), "outsider": 404}


@dataclass(frozen=True)
class Case:
    method: str
    target: str | None  # the filing's state (fixture below); None: the list
    action: str = ""  # a detail action's url name: submit, approve, return, reopen, evidence
    body: str = ""  # content, review, create, upload
    expected: dict[str, int] | None = None  # None: derived from the filer, see CASES


def cases(filer: str) -> dict[str, Case]:
    review_ok = seen_by_task("office", 200)
    return {
        "list": Case("get", None, expected=dict.fromkeys(PERSONAS, 200)),
        "detail-draft": Case("get", "draft", expected=only(filer, 200, 404)),
        "detail-submitted": Case("get", "submitted", expected={**dict.fromkeys(PERSONAS, 200), "outsider": 404}),
        "create": Case("post", None, body="create", expected=seen_by_task(filer, 201)),
        "put-draft": Case("put", "draft", body="content", expected=only(filer, 200, 404)),
        "patch-returned": Case("patch", "returned", body="content", expected=seen_by_task(filer, 200)),
        "patch-approved": Case("patch", "approved", body="content", expected=seen_by_task(filer, 400)),
        "submit-draft": Case("post", "draft", "submit", expected=only(filer, 200, 404)),
        "submit-returned": Case("post", "returned", "submit", expected=seen_by_task(filer, 200)),
        "submit-submitted": Case("post", "submitted", "submit", expected=seen_by_task(filer, 400)),
        "approve-submitted": Case("post", "submitted", "approve", body="review", expected=review_ok),
        "return-submitted": Case("post", "submitted", "return", body="review", expected=review_ok),
        "reopen-approved": Case("post", "approved", "reopen", body="review", expected=review_ok),
        # Only the filer sees a draft, and the filer is no reviewer.
        "approve-draft": Case("post", "draft", "approve", body="review", expected=only(filer, 403, 404)),
        "approve-approved": Case("post", "approved", "approve", body="review", expected=seen_by_task("office", 400)),
        "delete-draft": Case("delete", "draft", expected=only(filer, 204, 404)),
        "delete-submitted": Case("delete", "submitted", expected=seen_by_task(filer, 400)),
        "evidence-draft": Case("post", "draft", "evidence", body="upload", expected=only(filer, 201, 404)),
        "evidence-submitted": Case("post", "submitted", "evidence", body="upload", expected=seen_by_task(filer, 400)),
    }


NO_EVIDENCE = {"evidence-draft", "evidence-submitted"}  # contributions carry no files
MATRIX = [
    (kind, name) for kind in FILER for name in cases(FILER[kind])
    if not (kind == "contribution" and name in NO_EVIDENCE)
]


# --- the filings, one per state, built through the services ---------------------------------------

FULL_REPORT = dispatch.ReportInput(completed="开通重大项目审批绿色通道。", next_plan="推行容缺受理。", progress=40)


@pytest.fixture
def task_6_3(plan) -> Task:
    """Led by 审批局 alone, supported by the new cities; outside the outsider's scope."""
    return Task.objects.get(plan=plan, code="6.3")


class Filer:
    """Files one kind of filing on task 1.1 in a given slot (a month, or a year for annual plans)."""

    def __init__(self, kind: str, user, task):
        self.kind, self.user, self.task = kind, user, task

    def draft(self, slot: int, task: Task | None = None):
        task = task or self.task
        if self.kind == "annual-plan":
            return dispatch.annual_plan_save(user=self.user, task=task, year=slot, content="全年推进审批提速。")
        period = dispatch.period_open(year=2021, month=slot)
        if self.kind == "report":
            return dispatch.report_save(user=self.user, task=task, period=period, data=FULL_REPORT)
        return dispatch.contribution_save(user=self.user, task=task, period=period, text="配合完成联审。")


@pytest.fixture
def filer(request, kind, lead_user, supporting_user, task_1_1) -> Filer:
    return Filer(kind, request.getfixturevalue(FILER[kind]), task_1_1)


@pytest.fixture
def draft(filer):
    return filer.draft(2022 if filer.kind == "annual-plan" else 4)


@pytest.fixture
def submitted(filer):
    filing = filer.draft(2020 if filer.kind == "annual-plan" else 2)
    return dispatch.filing_submit(user=filer.user, filing=filing)


@pytest.fixture
def returned(filer, office):
    filing = dispatch.filing_submit(user=filer.user, filing=filer.draft(2021 if filer.kind == "annual-plan" else 3))
    return dispatch.filing_review(user=office, filing=filing, action=ReviewAction.RETURN, comment="请补充数据。")


@pytest.fixture
def approved(filer, office, task_6_3):
    # Annual plans of 1.1 use up its three years; this one is on 6.3, which lead_user leads too.
    filing = filer.draft(2020, task=task_6_3) if filer.kind == "annual-plan" else filer.draft(1)
    filing = dispatch.filing_submit(user=filer.user, filing=filing)
    return dispatch.filing_review(user=office, filing=filing, action=ReviewAction.APPROVE)


def body(case: Case, kind: str, task_1_1: Task, task_6_3: Task):
    if case.body == "review":
        return {"comment": "请补充本月数据。"}
    if case.body == "upload":
        return {"files": SimpleUploadedFile("现场.png", PNG, content_type="image/png")}
    content = {"report": {"completed": "完成联合审图。", "next_plan": "推行容缺受理。", "progress": 50},
               "contribution": {"text": "配合完成联审。"}, "annual-plan": {"content": "全年推进审批提速。"}}[kind]
    if case.body == "content":
        return content
    if kind == "annual-plan":
        return {**content, "task": task_6_3.pk, "year": 2021}
    return {**content, "task": task_1_1.pk, "period": dispatch.period_open(year=2021, month=5).pk}


def call(client, case: Case, url: str, data):
    if case.body == "upload":
        return client.post(url, data)  # multipart
    if case.method == "get":
        return client.get(url)
    send = getattr(client, case.method)
    return send(url, data, content_type="application/json") if data is not None else send(url)


def state(filing) -> tuple | None:
    row = type(filing).objects.filter(pk=filing.pk).values("status", "updated_at", "is_late").first()
    return tuple(row.values()) if row else None


@pytest.fixture
def anonymous():
    return None



@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.mark.usefixtures("media")
@pytest.mark.parametrize("persona", [*PERSONAS, "anonymous"], indirect=True)
@pytest.mark.parametrize(("kind", "name"), MATRIX)
def test_filing_matrix(client, request, kind, name, persona, task_1_1, task_6_3):
    who = request.node.callspec.params["persona"]
    case = cases(FILER[kind])[name]
    filing = request.getfixturevalue(case.target) if case.target else None
    data = body(case, kind, task_1_1, task_6_3) if case.body else None
    if case.target is None:
        url = reverse(f"api:{kind}-list")
    elif case.action:
        url = reverse(f"api:{kind}-{case.action}", args=[filing.pk])
    else:
        url = reverse(f"api:{kind}-detail", args=[filing.pk])
    before = state(filing) if filing else None
    if persona is not None:
        client.force_login(persona)

    response = call(client, case, url, data)

    expected = case.expected.get(who, ANONYMOUS)
    assert response.status_code == expected, (kind, name, who, response.content[:300])
    if response.status_code >= 400 and filing is not None:
        assert state(filing) == before, "a refused request changed the filing"
    if response.status_code >= 400 and case.body == "create":
        assert not MODELS[kind].objects.filter(task_id=data["task"], **_slot(data)).exists()


def _slot(data) -> dict:
    return {"year": data["year"]} if "year" in data else {"period_id": data["period"]}


# --- periods ------------------------------------------------------------------------------------

PERIOD_MATRIX = {
    "period-list": dict.fromkeys(PERSONAS, 200),
    "period-detail": dict.fromkeys(PERSONAS, 200),
}


@pytest.fixture
def period(db) -> ReportingPeriod:
    return dispatch.period_open(year=2021, month=3)


@pytest.mark.parametrize("persona", [*PERSONAS, "anonymous"], indirect=True)
@pytest.mark.parametrize("endpoint", list(PERIOD_MATRIX))
def test_period_matrix(client, request, endpoint, persona, period):
    who = request.node.callspec.params["persona"]
    url = reverse(f"api:{endpoint}", args=[period.pk] if endpoint.endswith("detail") else [])
    if persona is not None:
        client.force_login(persona)
    response = client.get(url)
    assert response.status_code == PERIOD_MATRIX[endpoint].get(who, ANONYMOUS), (endpoint, who)


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_periods_are_read_only(client, persona, period):
    client.force_login(persona)
    detail = reverse("api:period-detail", args=[period.pk])
    statuses = [
        client.post(reverse("api:period-list"), {}, content_type="application/json").status_code,
        client.put(detail, {}, content_type="application/json").status_code,
        client.patch(detail, {}, content_type="application/json").status_code,
        client.delete(detail).status_code,
    ]
    assert statuses == [405, 405, 405, 405]


def test_anonymous_gets_the_token_challenge(client, period):
    for url in (reverse("api:report-list"), reverse("api:period-detail", args=[period.pk])):
        response = client.post(url) if url.endswith("reports/") else client.get(url)
        assert response.status_code == ANONYMOUS
        assert response.headers["WWW-Authenticate"] == "Token"
