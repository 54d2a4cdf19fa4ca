"""The supervision API end to end: a finding logged by an inspector, rectified and submitted by
the unit, rejected once and then closed out; rounds; extension requests and decisions; 催办 and
督办单 sent by hand and answered; 通报; list scoping and filters; validation errors in Chinese
beside their fields, which change nothing.

Time stands still on Monday 15 September 2025 (the 2025 calendar: 1–8 October off, Sunday
28 September a make-up working day).
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from supervision import services
from supervision.choices import Level
from supervision.models import Escalation, ExtensionRequest, Finding, FindingEvent
from tasks.choices import AssignmentRole
from tasks.models import Notification, ReportingPeriod, TaskAssignment, Unit
from tasks.services import dispatch
from tests.test_api_supervision_permissions import (
    LEAD_UNIT,
    OTHER_UNIT,
    build_world,
    frozen,
    make_finding,
    make_round,
    snapshot,
)


class Api:
    """A signed-in JSON client for one user."""

    def __init__(self, user):
        self.client = Client()
        self.client.force_login(user)

    def get(self, name, *args, **params):
        return self.client.get(reverse(f"supervision-api:{name}", args=args), params)

    def post(self, name, *args, data=None):
        return self.client.post(reverse(f"supervision-api:{name}", args=args), data or {},
                                content_type="application/json")

    def patch(self, name, *args, data):
        return self.client.patch(reverse(f"supervision-api:{name}", args=args), data, content_type="application/json")


def ok(response, status=200) -> dict:
    assert response.status_code == status, response.content.decode()
    return response.json()


@pytest.fixture
def clock():
    with frozen(2025, 9, 15, 10):
        yield


@pytest.fixture
def office_api(office):
    return Api(office)


@pytest.fixture
def inspector_api(inspector):
    return Api(inspector)


@pytest.fixture
def lead(lead_user):
    return Api(lead_user)


@pytest.fixture
def round_(clock, inspector):
    return make_round(inspector, team=[inspector])


def unit_id(name: str) -> int:
    return Unit.objects.get(name=name).pk


def new_finding(**overrides) -> dict:
    return {"unit": unit_id(LEAD_UNIT), "description": "窗口未落实一次性告知制度。", "severity": "serious",
            "deadline_working_days": 10, **overrides}


# --- the finding's life -------------------------------------------------------------------------


def test_finding_from_logging_to_close_out(inspector_api, lead, lead_user, round_, task_1_1):
    created = ok(inspector_api.post("finding-list", data=new_finding(round=round_.pk, task=task_1_1.pk)), 201)
    # Ten working days from Monday 15 September: Sunday 28 September is a make-up working day.
    assert (created["status"], created["status_display"]) == ("open", "待整改")
    assert (created["due_date"], created["days_left"], created["light"]) == ("2025-09-28", 10, "green")
    assert created["number"] == "2025Q3-001"
    assert (created["task_code"], created["unit_name"], created["severity_display"]) == ("1.1", LEAD_UNIT, "较重")
    assert created["rectification"] is None
    assert [e["action"] for e in created["events"]] == ["create"]
    fid = created["id"]
    assert Notification.objects.filter(recipient=lead_user, title__contains=created["number"]).exists()

    listed = ok(lead.get("finding-list"))["results"]
    assert [(f["id"], f["light"], f["days_left"]) for f in listed] == [(fid, "green", 10)]

    saved = ok(lead.post("finding-rectification", fid, data={"measures": "组织窗口人员培训。", "result": ""}))
    assert saved["status"] == "rectifying"
    assert saved["rectification"]["measures"] == "组织窗口人员培训。"
    refused = ok(lead.post("finding-submit", fid), 400)
    assert refused == {"detail": "还有必填内容没有填写。", "result": ["请填写整改结果。"]}

    ok(lead.post("finding-rectification", fid, data={"measures": "组织窗口人员培训。", "result": "已建立告知清单。"}))
    submitted = ok(lead.post("finding-submit", fid))
    assert (submitted["status"], submitted["light"], submitted["days_left"]) == ("submitted", "green", None)
    assert submitted["rectification"]["submitted_at"]

    before = snapshot()
    no_reason = ok(inspector_api.post("finding-verify", fid, data={"action": "reject", "comment": " "}), 400)
    assert no_reason == {"detail": "退回整改时请写明原因。", "comment": ["请写明退回原因。"]}
    assert snapshot() == before
    rejected = ok(inspector_api.post("finding-verify", fid, data={"action": "reject", "comment": "缺少培训签到表。"}))
    assert rejected["status"] == "rectifying"
    assert ok(lead.post("finding-verify", fid, data={"action": "close"}), 403)["detail"] == "只有督查室可以核验整改和销号。"

    ok(lead.post("finding-rectification", fid, data={"measures": "补充培训签到表。", "result": "已建立告知清单。"}))
    ok(lead.post("finding-submit", fid))
    closed = ok(inspector_api.post("finding-verify", fid, data={"action": "close", "comment": "整改到位。"}))
    assert (closed["status"], closed["status_display"]) == ("closed", "已销号")
    assert closed["closed_at"]
    assert [(e["action"], e["to_status"]) for e in closed["events"]] == [
        ("create", "open"), ("start", "rectifying"), ("submit", "submitted"), ("reject", "rectifying"),
        ("submit", "submitted"), ("close", "closed"),
    ]
    assert closed["events"][3]["comment"] == "缺少培训签到表。"
    assert ok(lead.post("finding-rectification", fid, data={"measures": "再改", "result": "再改"}), 400)["detail"] == (
        "该问题当前为「已销号」，不能修改整改情况。")

    rectification = ok(lead.get("rectification-list", finding=fid))["results"]
    assert [(r["finding_number"], r["measures"]) for r in rectification] == [("2025Q3-001", "补充培训签到表。")]


def test_logging_validation_is_in_chinese_and_creates_nothing(inspector_api, round_):
    before = snapshot()
    body = ok(inspector_api.post("finding-list", data=new_finding(round=round_.pk, description=" ",
                                                                    deadline_working_days=0)), 400)
    assert body == {"detail": "请按提示修改后再保存。", "description": ["请填写问题描述。"],
                    "deadline_working_days": ["整改时限应为 1 到 250 个工作日。"]}
    missing = ok(inspector_api.post("finding-list", data={"description": "内容"}), 400)
    assert missing["round"] == ["该字段是必填项。"] and missing["unit"] == ["该字段是必填项。"]
    collective = Unit.objects.filter(kind="collective").first()
    refused = ok(inspector_api.post("finding-list", data=new_finding(round=round_.pk, unit=collective.pk)), 400)
    assert "unit" in refused  # a collective name is not a unit that can rectify
    assert ok(inspector_api.post("finding-list", data=new_finding(round=round_.pk, severity="fatal")), 400)["severity"]
    assert snapshot() == before


def test_a_concluded_round_takes_no_findings(inspector_api, round_):
    ok(inspector_api.patch("round-detail", round_.pk, data={"status": "concluded", "conclusion": "总体落实较好。"}))
    body = ok(inspector_api.post("finding-list", data=new_finding(round=round_.pk)), 400)
    assert body == {"detail": "该督查轮次已结束，不能再登记问题。"}
    assert not Finding.objects.exists()


# --- rounds -------------------------------------------------------------------------------------


def test_round_create_update_and_rules(office_api, inspector_api, lead, inspector, lead_user, clock, task_1_1):
    body = {"year": 2025, "quarter": 4, "title": "2025年第四季度联合专项督查", "method": "unannounced",
            "team": [inspector.pk], "units": [unit_id(LEAD_UNIT)], "tasks": [task_1_1.pk]}
    created = ok(office_api.post("round-list", data=body), 201)
    assert (created["label"], created["method_display"], created["status"]) == ("2025年第4季度", "明察暗访", "planned")
    assert [m["id"] for m in created["team"]] == [inspector.pk]
    assert [t["code"] for t in created["tasks"]] == ["1.1"]
    rid = created["id"]

    before = snapshot()
    duplicate = ok(inspector_api.post("round-list", data=body), 400)
    assert duplicate == {"detail": "同一季度已有同名督查轮次。", "title": ["同一季度已有同名督查轮次。"]}
    no_conclusion = ok(inspector_api.patch("round-detail", rid, data={"status": "concluded"}), 400)
    assert no_conclusion["conclusion"] == ["结束督查前请填写督查结论。"]
    wrong_team = ok(inspector_api.patch("round-detail", rid, data={"team": [lead_user.pk]}), 400)
    assert wrong_team["team"] == ["督查组成员应为督查室账号。"]
    dates = ok(inspector_api.patch("round-detail", rid, data={"start_date": "2025-10-20", "end_date": "2025-10-10"}), 400)
    assert dates["end_date"] == ["结束日期不能早于开始日期。"]
    assert ok(inspector_api.patch("round-detail", rid, data={"quarter": 5}), 400)["quarter"] == ["季度应为 1 到 4。"]
    assert ok(inspector_api.patch("round-detail", rid, data={"status": "finished"}), 400)["status"]
    assert snapshot() == before

    # A partial update keeps the rest, the team included.
    patched = ok(inspector_api.patch("round-detail", rid, data={"start_date": "2025-10-13"}))
    assert (patched["start_date"], patched["method"], [m["id"] for m in patched["team"]]) == (
        "2025-10-13", "unannounced", [inspector.pk])

    filtered = ok(lead.get("round-list", year=2025, quarter=4))["results"]
    assert filtered == []  # a unit sees only the rounds that found something against it
    everything = ok(office_api.get("round-list", quarter=4, status="planned"))["results"]
    assert [r["id"] for r in everything] == [rid]


# --- extensions ---------------------------------------------------------------------------------


def test_extension_request_and_decision(office_api, inspector_api, lead, round_, inspector, office):
    finding = make_finding(inspector, round_)  # due Sunday 28 September 2025
    before = snapshot()
    early = ok(lead.post("finding-extension", finding.pk, data={"requested_due_date": "2025-09-26", "reason": ""}), 400)
    assert early == {"detail": "请按提示修改后再提交。",
                     "requested_due_date": ["申请延至的日期应晚于原截止日期 2025-09-28。"], "reason": ["请填写申请理由。"]}
    assert ok(lead.post("finding-extension", finding.pk, data={"reason": "x"}), 400)["requested_due_date"] == [
        "该字段是必填项。"]
    assert snapshot() == before

    asked = ok(lead.post("finding-extension", finding.pk,
                         data={"requested_due_date": "2025-10-20", "reason": "涉及多部门协调。"}), 201)
    assert (asked["status"], asked["previous_due_date"], asked["finding_number"]) == ("pending", "2025-09-28", finding.number)
    again = ok(lead.post("finding-extension", finding.pk, data={"requested_due_date": "2025-10-21", "reason": "再申请"}), 400)
    assert again["detail"] == "该问题已有一份待审批的延期申请。"

    pending = ok(office_api.get("extension-list", status="pending"))["results"]
    assert [e["id"] for e in pending] == [asked["id"]]
    assert ok(inspector_api.post("extension-decide", asked["id"], data={"grant": True}), 403)["detail"] == (
        "只有新区营商办可以审批延期申请。")
    assert ok(office_api.post("extension-decide", asked["id"], data={}), 400)["grant"] == ["该字段是必填项。"]

    granted = ok(office_api.post("extension-decide", asked["id"], data={"grant": True, "due_date": "2025-10-24",
                                                                         "comment": "同意。"}))
    assert (granted["status"], granted["granted_due_date"], granted["decided_by"]) == ("granted", "2025-10-24", office.pk)
    moved = ok(lead.get("finding-detail", finding.pk))
    assert moved["due_date"] == "2025-10-24"
    assert moved["events"][-1]["action"] == "extend"
    assert [e["status"] for e in moved["extensions"]] == ["granted"]
    twice = ok(office_api.post("extension-decide", asked["id"], data={"grant": False, "comment": "不同意。"}), 400)
    assert twice["detail"] == "该延期申请已审批（已同意），不能再次审批。"


def test_extension_refusal_needs_a_reason_and_keeps_the_due_date(office_api, lead, lead_user, round_, inspector):
    finding = make_finding(inspector, round_)
    extension = services.extension_request(user=lead_user, finding=finding, reason="人手不足。",
                                           requested_due_date=dt.date(2025, 10, 20))
    before = snapshot()
    body = ok(office_api.post("extension-decide", extension.pk, data={"grant": False}), 400)
    assert body == {"detail": "不同意延期时请写明理由。", "comment": ["请写明理由。"]}
    assert snapshot() == before
    refused = ok(office_api.post("extension-decide", extension.pk, data={"grant": False, "comment": "理由不充分。"}))
    assert (refused["status"], refused["granted_due_date"]) == ("refused", None)
    assert ok(lead.get("finding-detail", finding.pk))["due_date"] == "2025-09-28"


def test_no_extension_once_overdue(lead, round_, inspector):
    finding = make_finding(inspector, round_, working_days=2)  # due Wednesday 17 September
    with frozen(2025, 9, 18, 9):
        body = ok(lead.post("finding-extension", finding.pk, data={"requested_due_date": "2025-10-20", "reason": "迟了"}), 400)
        assert body["detail"] == "整改已于 2025-09-17 到期，逾期后不能再申请延期。"
        overdue = ok(lead.get("finding-list", overdue="true"))["results"]
        assert [(f["id"], f["light"], f["days_left"]) for f in overdue] == [(finding.pk, "red", -1)]
    assert not ExtensionRequest.objects.exists()


# --- the ladder by hand -------------------------------------------------------------------------


def test_urge_sent_by_hand_and_answered(office_api, lead, lead_user, round_, inspector):
    finding = make_finding(inspector, round_)
    sent = ok(office_api.post("escalation-list", data={"finding": finding.pk, "level": "urge", "message": "请加快整改进度。",
                                                        "required_action": "书面报告", "new_due_date": "2025-09-30"}), 201)
    assert (sent["level"], sent["item_kind"], sent["item_label"]) == ("urge", "finding", f"督查问题 {finding.number}")
    # A 催办 carries no 督办要求 and no new deadline, as on the page.
    assert (sent["required_action"], sent["new_due_date"], sent["notice_code"]) == ("", None, "")
    assert (sent["is_manual"], sent["awaits_reply"], sent["channels"]) == (True, True, ["inbox"])
    assert [r["id"] for r in sent["recipients"]] == [lead_user.pk]
    assert Notification.objects.filter(recipient=lead_user, title__startswith="【催办】").exists()

    waiting = ok(lead.get("escalation-list", awaiting_reply="true"))["results"]
    assert [e["id"] for e in waiting] == [sent["id"]]
    assert ok(lead.post("escalation-reply", sent["id"], data={"reply": " "}), 400) == {
        "detail": "请填写回复内容。", "reply": ["请填写回复内容。"]}
    answered = ok(lead.post("escalation-reply", sent["id"], data={"reply": "已部署整改，本周内完成。"}))
    assert (answered["awaits_reply"], answered["reply"]) == (False, "已部署整改，本周内完成。")
    assert ok(lead.get("escalation-list", awaiting_reply="true"))["results"] == []
    assert ok(lead.post("escalation-reply", sent["id"], data={"reply": "再回复"}), 400)["detail"] == "本单位已回复过。"
    timeline = ok(lead.get("finding-detail", finding.pk))
    assert timeline["status"] == "open"  # a 催办 chases the finding; it does not move it


def test_supervision_notice_by_hand(office_api, round_, inspector):
    finding = make_finding(inspector, round_)
    before = snapshot()
    incomplete = ok(office_api.post("escalation-list", data={"finding": finding.pk, "level": "notice",
                                                              "message": "整改进度滞后。"}), 400)
    assert incomplete == {"detail": "请按提示修改后再发送。", "required_action": ["请填写督办要求。"],
                          "new_due_date": ["限期办结日期应晚于今天。"]}
    assert ok(office_api.post("escalation-list", data={"finding": finding.pk, "level": "reminder",
                                                       "message": "提醒"}), 400) == {"detail": "只能人工发起催办或督办单。"}
    assert snapshot() == before
    notice = ok(office_api.post("escalation-list", data={
        "finding": finding.pk, "level": "notice", "message": "整改进度滞后。",
        "required_action": "于限期内完成整改并书面报告。", "new_due_date": "2025-09-30",
    }), 201)
    assert (notice["notice_code"], notice["new_due_date"]) == ("西咸营商督〔2025〕1号", "2025-09-30")
    assert ok(office_api.get("escalation-list", level="notice"))["results"][0]["id"] == notice["id"]


@pytest.fixture
def in_2022():
    """September 2022: the seed plan runs (an ended plan's items are no longer chased)."""
    with time_machine.travel(dt.datetime(2022, 9, 20, 10, tzinfo=dt.UTC), tick=False):
        yield


def test_escalation_items_are_named_by_their_parts(office_api, plan, task_1_1, round_, inspector, in_2022):
    period = dispatch.period_open(year=2022, month=8)  # in the seed plan's years
    before = snapshot()
    nothing = ok(office_api.post("escalation-list", data={"level": "urge", "message": "请报送。"}), 400)
    assert nothing == {"item": ["请指明督办事项：finding；或 task、unit 与 period；或 task、unit 与 year。"]}
    finding = make_finding(inspector, round_)
    mixed = {"finding": finding.pk, "task": task_1_1.pk, "level": "urge", "message": "请报送。"}
    assert ok(office_api.post("escalation-list", data=mixed), 400)["item"]
    supporting = TaskAssignment.objects.filter(task=task_1_1, role=AssignmentRole.SUPPORTING).first()
    not_lead = {"task": task_1_1.pk, "unit": supporting.unit_id, "period": period.pk, "level": "urge", "message": "请报送。"}
    assert ok(office_api.post("escalation-list", data=not_lead), 400)["detail"] == "该单位不是此任务的牵头单位，没有这项填报。"
    assert Escalation.objects.count() == len(before[4])

    report = ok(office_api.post("escalation-list", data={"task": task_1_1.pk, "unit": unit_id(LEAD_UNIT),
                                                          "period": period.pk, "level": "urge", "message": "请报送8月进展。"}), 201)
    assert (report["item_kind"], report["item_label"], report["period"]) == ("report", "2022年8月进展填报 1.1", period.pk)
    annual = ok(office_api.post("escalation-list", data={"task": task_1_1.pk, "unit": unit_id(LEAD_UNIT),
                                                          "year": 2022, "level": "urge", "message": "请报送年度工作方案。"}), 201)
    assert (annual["item_kind"], annual["year"]) == ("annual_plan", 2022)
    kinds = ok(office_api.get("escalation-list", item_kind="report"))["results"]
    assert [e["id"] for e in kinds] == [report["id"]]
    assert ReportingPeriod.objects.filter(pk=period.pk).exists()


# --- scoping, filters, 通报 ---------------------------------------------------------------------


@pytest.fixture
def world(clock, office, inspector, lead_user):
    return build_world(office=office, inspector=inspector, lead_user=lead_user)


def test_lists_are_scoped(world, lead, supporting_user, outsider, leader):
    mine = {f["id"] for f in ok(lead.get("finding-list"))["results"]}
    assert mine == {world.open.pk, world.rectifying.pk, world.submitted.pk, world.closed.pk}
    theirs = {f["id"] for f in ok(Api(supporting_user).get("finding-list"))["results"]}
    assert theirs == {world.other_unit.pk}
    assert ok(Api(outsider).get("finding-list"))["count"] == 0
    assert ok(Api(leader).get("finding-list"))["count"] == 5
    assert ok(Api(outsider).get("round-list"))["count"] == 0
    assert ok(Api(supporting_user).get("round-list"))["count"] == 1
    assert ok(Api(supporting_user).get("extension-list"))["count"] == 0
    assert ok(Api(supporting_user).get("rectification-list"))["count"] == 0
    assert {e["unit"] for e in ok(lead.get("escalation-list"))["results"]} == {world.open.unit_id}
    assert ok(Api(supporting_user).get("escalation-list"))["count"] == 0


def test_finding_filters(world, office_api, office, outsider, lead):
    def ids(**params):
        return {f["id"] for f in ok(office_api.get("finding-list", **params))["results"]}

    assert ids(status="submitted") == {world.submitted.pk}
    assert ids(unit=unit_id(OTHER_UNIT)) == {world.other_unit.pk}
    assert ids(round=world.round.pk, severity="general") == ids()
    assert ids(severity="grave") == set()
    assert ids(overdue="true") == set()
    assert ids(overdue="false") == ids()
    assert ok(office_api.get("finding-list", status="lost"), 400)["status"]
    # A round the user cannot see is refused like one that does not exist.
    assert ok(Api(outsider).get("finding-list", round=world.round.pk), 400)["round"]
    rows = ok(lead.get("finding-list", status="open"))["results"]
    assert [(f["light"], f["days_left"], f["light_reason"]) for f in rows] == [("yellow", 2, "还有 2 个工作日到期")]
    with frozen(2025, 9, 22, 9):  # a week on: a new session
        overdue = ok(Api(office).get("finding-list", overdue="true"))["results"]
        assert [(f["id"], f["light"], f["days_left"]) for f in overdue] == [(world.open.pk, "red", -3)]


def test_escalation_and_extension_filters(world, office_api):
    levels = [e["level"] for e in ok(office_api.get("escalation-list", unit=unit_id(LEAD_UNIT)))["results"]]
    assert sorted(levels) == ["reminder", "urge"]
    assert ok(office_api.get("escalation-list", level="reminder"))["results"][0]["finding"] == world.open.pk
    assert ok(office_api.get("escalation-list", awaiting_reply="false"))["count"] == 1
    assert ok(office_api.get("escalation-list", finding=world.rectifying.pk))["results"][0]["id"] == world.urge.pk
    assert ok(office_api.get("extension-list", status="refused"))["results"][0]["id"] == world.refused.pk
    assert ok(office_api.get("extension-list", finding=world.rectifying.pk))["results"][0]["id"] == world.pending.pk
    assert ok(office_api.get("rectification-list", submitted="true"))["count"] == 2
    assert ok(office_api.get("rectification-list", submitted="false"))["count"] == 1


def test_bulletin_entries_are_scoped(clock, office, inspector, lead_user, supporting_user, outsider):
    round_ = make_round(inspector, quarter=3)
    for unit in (LEAD_UNIT, LEAD_UNIT, OTHER_UNIT):
        make_finding(inspector, round_, unit=unit, found_on=dt.date(2025, 8, 4), working_days=5)
    bulletin = services.bulletin_compile(year=2025, month=8, user=office)

    full = ok(Api(office).get("bulletin-detail", bulletin.pk))
    assert (full["label"], full["entry_count"], full["unit_count"]) == ("2025年8月", 3, 2)
    assert [e["unit_name"] for e in full["entries"]].count(LEAD_UNIT) == 2
    assert "整改逾期" in full["entries"][0]["reasons"]
    own = ok(Api(lead_user).get("bulletin-detail", bulletin.pk))
    assert (own["entry_count"], {e["unit_name"] for e in own["entries"]}) == (2, {LEAD_UNIT})
    listed = ok(Api(supporting_user).get("bulletin-list", year=2025))["results"]
    assert [(b["id"], b["entry_count"], b["unit_count"]) for b in listed] == [(bulletin.pk, 1, 1)]
    assert ok(Api(outsider).get("bulletin-detail", bulletin.pk))["entries"] == []


def test_token_client_works_without_csrf(world, lead_user):
    token = Token.objects.create(user=lead_user)
    client = Client(enforce_csrf_checks=True)
    auth = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    response = client.post(reverse("supervision-api:escalation-reply", args=[world.urge.pk]),
                           {"reply": "已整改。"}, content_type="application/json", **auth)
    assert response.status_code == 200, response.content
    assert Escalation.objects.get(pk=world.urge.pk).reply == "已整改。"


def test_reminder_from_the_scan_is_read_through_the_api(world, lead):
    reminder = ok(lead.get("escalation-detail", world.reminder.pk))
    assert (reminder["level_display"], reminder["is_manual"], reminder["created_by_name"]) == ("提醒", False, None)
    assert reminder["awaits_reply"] is False
    assert reminder["message"].startswith(f"督查问题 {world.open.number}将于 2025-09-17 到期")
    assert FindingEvent.objects.filter(finding=world.open).count() == 1
    assert Escalation.objects.filter(level=Level.REMINDER).count() == 1
