"""Permission matrix of the supervision API: every endpoint and every action of rounds, findings,
rectifications, extension requests, escalations and 通报, called by every persona and by an
anonymous client, with the status each must get (taiga-back style).

The world is built through the services on Monday 15 September 2025. The findings are against
新区行政审批与政务服务局 (lead_user's unit) unless named otherwise; one is against 沣东新城
(supporting_user's unit), so the round is seen by both units and not by the outsider. The rules,
all from the services:
- office, inspectors and leaders read everything; a unit reads only what is against itself, and
  anything else is a 404 (a unit's finding read by another unit included);
- only inspectors log findings, verify and close them out; inspectors and the office organise
  rounds; only the responsible unit rectifies, submits, asks for an extension and replies to a
  催办 or 督办单; only the office decides extensions and sends a 催办 or 督办单 by hand;
- leaders read and write nothing (403); a write refused by a state rule is a 400.
Every refusal leaves the data exactly as it was.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse

from supervision import services
from supervision.choices import InspectionMethod, Level
from supervision.models import (
    Bulletin,
    Escalation,
    ExtensionRequest,
    Finding,
    FindingEvent,
    InspectionRound,
    Rectification,
)
from supervision.services.inspections import FindingInput, RoundInput
from supervision.services.ladder import item_for_finding
from tasks.models import Unit, User
from tests.conftest import PERSONAS

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2025, 9, 15)  # a Monday; 2 working days on is Wednesday 17 September
ANONYMOUS = 401
LEAD_UNIT = "新区行政审批与政务服务局"
OTHER_UNIT = "沣东新城"
SEES_EVERYTHING = ("office", "inspector", "leader")


def frozen(*args: int):
    """Time stands still then, Xixian time: frozen(2025, 9, 15, 10)."""
    return time_machine.travel(dt.datetime(*args, tzinfo=SHANGHAI), tick=False)


@pytest.fixture
def clock():
    with frozen(2025, 9, 15, 10):
        yield


# --- the world --------------------------------------------------------------------------------


def make_round(user: User, *, quarter: int = 3, title: str = "2025年第三季度联合专项督查", **kwargs) -> InspectionRound:
    data = RoundInput(year=2025, quarter=quarter, title=title, method=InspectionMethod.FOUR_NOS, **kwargs)
    return services.round_create(user=user, data=data)


def make_finding(inspector: User, round_: InspectionRound, *, unit: str = LEAD_UNIT, working_days: int = 10,
                 **kwargs) -> Finding:
    data = FindingInput(unit=Unit.objects.get(name=unit), description=kwargs.pop("description", "窗口未落实一次性告知制度。"),
                        severity=kwargs.pop("severity", "general"), deadline_working_days=working_days, **kwargs)
    return services.finding_create(user=inspector, round_=round_, data=data)


def rectify(user: User, finding: Finding, *, result: str = "已建立一次性告知清单。") -> Finding:
    services.finding_rectification_save(user=user, finding=finding, measures="组织窗口人员培训。", result=result)
    return Finding.objects.get(pk=finding.pk)


@dataclass
class World:
    round: InspectionRound
    open: Finding  # due in 2 working days: the scan has sent its 提醒
    rectifying: Finding  # with a pending extension request and a 催办 sent by hand
    submitted: Finding
    closed: Finding
    other_unit: Finding  # against 沣东新城
    pending: ExtensionRequest
    refused: ExtensionRequest
    urge: Escalation
    reminder: Escalation
    bulletin: Bulletin


def build_world(*, office: User, inspector: User, lead_user: User) -> World:
    round_ = make_round(inspector, team=[inspector])
    open_ = make_finding(inspector, round_, working_days=2)
    rectifying = rectify(lead_user, make_finding(inspector, round_), result="")
    submitted = services.finding_submit(user=lead_user, finding=rectify(lead_user, make_finding(inspector, round_)))
    closed = services.finding_submit(user=lead_user, finding=rectify(lead_user, make_finding(inspector, round_)))
    closed = services.finding_verify(user=inspector, finding=closed, close=True)
    other = make_finding(inspector, round_, unit=OTHER_UNIT)
    pending = services.extension_request(user=lead_user, finding=rectifying, reason="涉及多部门协调。",
                                         requested_due_date=rectifying.due_date + dt.timedelta(days=14))
    refused = services.extension_request(user=lead_user, finding=open_, reason="人手不足。",
                                         requested_due_date=open_.due_date + dt.timedelta(days=7))
    refused = services.extension_decide(user=office, extension=refused, grant=False, comment="理由不充分。")
    urge = services.escalation_send(user=office, item=item_for_finding(rectifying), level=Level.URGE,
                                    message="请加快整改进度。")
    services.bulletin_compile(year=2025, month=8, user=office)
    services.deadline_scan(today=TODAY)
    reminder = Escalation.objects.get(finding=open_, level=Level.REMINDER)
    return World(round_, open_, rectifying, submitted, closed, other, pending, refused, urge, reminder,
                 Bulletin.objects.get(year=2025, month=8))


@pytest.fixture
def world(clock, office, inspector, lead_user) -> World:
    return build_world(office=office, inspector=inspector, lead_user=lead_user)


def snapshot() -> tuple:
    """Everything a refused request must leave as it was."""
    return (
        list(InspectionRound.objects.order_by("pk").values_list("pk", "title", "status", "conclusion", "start_date")),
        list(Finding.objects.order_by("pk").values_list("pk", "status", "due_date", "closed_at")),
        list(Rectification.objects.order_by("pk").values_list("pk", "measures", "result", "submitted_at")),
        list(ExtensionRequest.objects.order_by("pk").values_list("pk", "status", "granted_due_date")),
        list(Escalation.objects.order_by("pk").values_list("pk", "reply", "replied_at")),
        FindingEvent.objects.count(),
    )


# --- expectations -----------------------------------------------------------------------------


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(PERSONAS, status)


def lead_unit_row(**allowed: int) -> dict[str, int]:
    """A row about 新区行政审批与政务服务局: 403 for whoever sees it and may not act, 404 for the
    units that cannot see it; the personas named get their status."""
    seen = {*SEES_EVERYTHING, "lead_user"}
    return {p: allowed.get(p, 403 if p in seen else 404) for p in PERSONAS}


READ_LEAD_UNIT = lead_unit_row(office=200, inspector=200, leader=200, lead_user=200)


@dataclass(frozen=True)
class Case:
    resource: str  # the router's basename: round, finding, …
    method: str
    target: str | None  # World attribute; None: the collection
    action: str = ""  # a detail action's url name
    body: str = ""  # key of BODIES
    expected: dict[str, int] | None = None


CASES = {
    # rounds: inspectors and the office organise; the round shows findings of both units
    "round-list": Case("round", "get", None, expected=everyone(200)),
    "round-detail": Case("round", "get", "round", expected={**everyone(200), "outsider": 404}),
    "round-create": Case("round", "post", None, body="round",
                         expected={**everyone(403), "office": 201, "inspector": 201}),
    "round-patch": Case("round", "patch", "round", body="round-patch",
                        expected={**everyone(403), "office": 200, "inspector": 200, "outsider": 404}),
    "round-put": Case("round", "put", "round", body="round-put",
                      expected={**everyone(403), "office": 200, "inspector": 200, "outsider": 404}),
    # findings
    "finding-list": Case("finding", "get", None, expected=everyone(200)),
    "finding-detail": Case("finding", "get", "open", expected=READ_LEAD_UNIT),
    "finding-detail-other-unit": Case("finding", "get", "other_unit",
                                      expected={**everyone(200), "lead_user": 404, "outsider": 404}),
    "finding-create": Case("finding", "post", None, body="finding", expected={**everyone(403), "inspector": 201}),
    "rectification-open": Case("finding", "post", "open", "rectification", "rectification",
                               lead_unit_row(lead_user=200)),
    "rectification-submitted": Case("finding", "post", "submitted", "rectification", "rectification",
                                    lead_unit_row(lead_user=400)),
    "rectification-other-unit": Case("finding", "post", "other_unit", "rectification", "rectification",
                                     {**everyone(403), "supporting_user": 200, "lead_user": 404, "outsider": 404}),
    "submit-open": Case("finding", "post", "open", "submit", expected=lead_unit_row(lead_user=400)),
    "submit-rectifying": Case("finding", "post", "rectifying", "submit", "",
                              lead_unit_row(lead_user=400)),  # 整改结果 still empty
    "verify-submitted": Case("finding", "post", "submitted", "verify", "close", lead_unit_row(inspector=200)),
    "reject-submitted": Case("finding", "post", "submitted", "verify", "reject", lead_unit_row(inspector=200)),
    "verify-closed": Case("finding", "post", "closed", "verify", "close", lead_unit_row(inspector=400)),
    "extension-open": Case("finding", "post", "open", "extension", "extension", lead_unit_row(lead_user=201)),
    "extension-pending": Case("finding", "post", "rectifying", "extension", "extension",
                              lead_unit_row(lead_user=400)),  # one pending request at a time
    "extension-closed": Case("finding", "post", "closed", "extension", "extension", lead_unit_row(lead_user=400)),
    # rectifications: read-only, scoped through the finding
    "rectification-list": Case("rectification", "get", None, expected=everyone(200)),
    "rectification-detail": Case("rectification", "get", "rectifying.rectification", expected=READ_LEAD_UNIT),
    # extensions: the office decides
    "extension-list": Case("extension", "get", None, expected=everyone(200)),
    "extension-detail": Case("extension", "get", "pending", expected=READ_LEAD_UNIT),
    "decide-pending": Case("extension", "post", "pending", "decide", "grant", lead_unit_row(office=200)),
    "refuse-pending": Case("extension", "post", "pending", "decide", "refuse", lead_unit_row(office=200)),
    "decide-refused": Case("extension", "post", "refused", "decide", "grant", lead_unit_row(office=400)),
    # escalations: the office sends by hand, the unit replies
    "escalation-list": Case("escalation", "get", None, expected=everyone(200)),
    "escalation-detail": Case("escalation", "get", "urge", expected=READ_LEAD_UNIT),
    "escalation-create": Case("escalation", "post", None, body="urge", expected={**everyone(403), "office": 201}),
    "reply-urge": Case("escalation", "post", "urge", "reply", "reply", lead_unit_row(lead_user=200)),
    "reply-reminder": Case("escalation", "post", "reminder", "reply", "reply", lead_unit_row(lead_user=400)),
    # 通报: published to every signed-in user (the entries are scoped, see the flows)
    "bulletin-list": Case("bulletin", "get", None, expected=everyone(200)),
    "bulletin-detail": Case("bulletin", "get", "bulletin", expected=everyone(200)),
}


def body(name: str, world: World) -> dict | None:
    inspector = User.objects.get(username="inspector")
    lead_unit = Unit.objects.get(name=LEAD_UNIT)
    round_ = {"year": 2025, "quarter": 4, "title": "2025年第四季度联合专项督查", "method": "four_nos",
              "team": [inspector.pk], "units": [lead_unit.pk]}
    bodies = {
        "round": round_,
        "round-put": {**round_, "quarter": 3, "title": world.round.title, "start_date": "2025-09-10"},
        "round-patch": {"start_date": "2025-09-10", "status": "in_progress"},
        "finding": {"round": world.round.pk, "unit": lead_unit.pk, "description": "未公示收费清单。",
                    "severity": "serious", "deadline_working_days": 10},
        "rectification": {"measures": "组织窗口人员培训。", "result": "已建立一次性告知清单。"},
        "close": {"action": "close"},
        "reject": {"action": "reject", "comment": "佐证材料不足。"},
        "extension": {"requested_due_date": "2025-12-31", "reason": "涉及多部门协调。"},
        "grant": {"grant": True},
        "refuse": {"grant": False, "comment": "理由不充分。"},
        "urge": {"finding": world.open.pk, "level": "urge", "message": "请尽快整改。"},
        "reply": {"reply": "已部署整改，本周内完成。"},
    }
    return bodies.get(name)


def target(world: World, path: str):
    row = world
    for name in path.split("."):
        row = getattr(row, name)
    return row


def url_of(case: Case, world: World) -> str:
    row = target(world, case.target) if case.target else None
    if row is None:
        return reverse(f"supervision-api:{case.resource}-list")
    if case.action:
        return reverse(f"supervision-api:{case.resource}-{case.action}", args=[row.pk])
    return reverse(f"supervision-api:{case.resource}-detail", args=[row.pk])


def call(client, case: Case, url: str, data: dict | None):
    if case.method == "get":
        return client.get(url)
    return getattr(client, case.method)(url, data or {}, content_type="application/json")


@pytest.mark.parametrize("name", list(CASES))
def test_matrix(client, request, world, name):
    """Each persona calls the endpoint on the same world: every call runs in a transaction that
    is rolled back afterwards, so a write allowed to one persona is not there for the next (and
    the world is built once per case, not once per persona)."""
    case = CASES[name]
    url, data = url_of(case, world), body(case.body, world)
    statuses, problems = {}, []
    for who in [*PERSONAS, "anonymous"]:
        user = request.getfixturevalue(who) if who != "anonymous" else None
        with transaction.atomic():
            before = snapshot()
            client.logout()
            if user is not None:
                client.force_login(user)
            response = call(client, case, url, data)
            statuses[who] = response.status_code
            if response.status_code >= 400 and snapshot() != before:
                problems.append(f"{who}: a refused request changed something")
            if response.status_code == 400 and not response.json().get("detail"):
                problems.append(f"{who}: a 400 without a detail saying why")
            transaction.set_rollback(True)

    assert statuses == {**case.expected, "anonymous": ANONYMOUS}
    assert not problems


# --- methods that do not exist ----------------------------------------------------------------

NOT_ALLOWED = [
    ("round", "delete", "round"),
    ("finding", "put", "open"), ("finding", "patch", "open"), ("finding", "delete", "open"),
    ("rectification", "post", None), ("rectification", "patch", "rectifying.rectification"),
    ("extension", "post", None), ("extension", "delete", "pending"),
    ("escalation", "patch", "urge"), ("escalation", "delete", "urge"),
    ("bulletin", "post", None), ("bulletin", "delete", "bulletin"),
]


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_read_only_methods_are_not_allowed(client, world, persona):
    client.force_login(persona)
    for resource, method, path in NOT_ALLOWED:
        row = target(world, path) if path else None
        url = reverse(f"supervision-api:{resource}-{'detail' if row else 'list'}", args=[row.pk] if row else [])
        before = snapshot()
        assert getattr(client, method)(url, {}, content_type="application/json").status_code == 405, (resource, method)
        assert snapshot() == before


def test_anonymous_gets_the_token_challenge(client, world):
    for url in (reverse("supervision-api:finding-list"), reverse("supervision-api:escalation-detail", args=[world.urge.pk])):
        response = client.get(url)
        assert response.status_code == ANONYMOUS
        assert response.headers["WWW-Authenticate"] == "Token"


def test_the_tasks_api_root_is_not_shadowed(client, office):
    client.force_login(office)
    response = client.get("/api/v1/")
    assert response.status_code == 200
    assert "tasks" in response.json()
