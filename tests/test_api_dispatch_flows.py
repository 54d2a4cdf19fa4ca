"""The monthly-dispatch API end to end: a report from draft to approval and reopening, lateness,
validation messages in Chinese beside their fields, indicator actuals, evidence, contributions,
annual work plans, list scoping and filters.

The October 2020 period is due on Friday 6 November 2020 (5th working day of November).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import NoReverseMatch, reverse
from rest_framework.authtoken.models import Token

from tasks.choices import ReviewAction
from tasks.models import Indicator, ProgressReport, Task
from tasks.services import dispatch
from tests.factories import UserFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
CONTENT = {"completed": "开通重大项目审批绿色通道。", "problems": "部分事项仍需跑动。",
           "next_plan": "推行容缺受理。", "progress": 40}


def frozen(*args):
    return time_machine.travel(dt.datetime(*args, tzinfo=SHANGHAI), tick=False)



@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def october(db):
    return dispatch.period_open(year=2020, month=10)


class Api:
    """A signed-in JSON client for one user."""

    def __init__(self, user):
        self.client = Client()
        self.client.force_login(user)

    def get(self, name, *args, **params):
        return self.client.get(reverse(f"api:{name}", args=args), params)

    def post(self, name, *args, data=None):
        return self.client.post(reverse(f"api:{name}", args=args), data or {}, content_type="application/json")

    def patch(self, name, *args, data):
        return self.client.patch(reverse(f"api:{name}", args=args), data, content_type="application/json")

    def put(self, name, *args, data):
        return self.client.put(reverse(f"api:{name}", args=args), data, content_type="application/json")

    def delete(self, name, *args):
        return self.client.delete(reverse(f"api:{name}", args=args))


def ok(response, status=200) -> dict:
    assert response.status_code == status, response.content.decode()
    return response.json()


@pytest.fixture
def lead(lead_user):
    return Api(lead_user)


@pytest.fixture
def reviewer(office):
    return Api(office)


@pytest.fixture
def report_id(lead, task_1_1, october) -> int:
    return ok(lead.post("report-list", data={"task": task_1_1.pk, "period": october.pk, **CONTENT}), 201)["id"]


# --- progress reports --------------------------------------------------------------------------


def test_report_from_draft_to_approval_and_reopening(lead, reviewer, office, report_id):
    with frozen(2020, 11, 3, 10):
        report = ok(lead.post("report-submit", report_id))
    assert (report["status"], report["is_late"]) == ("submitted", False)

    with frozen(2020, 11, 4, 10):
        returned = ok(reviewer.post("report-return", report_id, data={"comment": "请补充审批时限数据。"}))
    assert returned["status"] == "returned"
    ok(lead.patch("report-detail", report_id, data={"completed": "审批时限压缩至 85 个工作日。"}))
    with frozen(2020, 11, 10, 9):  # after the due date: lateness is decided by the first submission
        resubmitted = ok(lead.post("report-submit", report_id))
    assert (resubmitted["status"], resubmitted["is_late"]) == ("submitted", False)

    with frozen(2020, 11, 11, 9):
        assert ok(reviewer.post("report-approve", report_id))["status"] == "approved"
    assert lead.patch("report-detail", report_id, data={"problems": "无"}).status_code == 400  # locked

    with frozen(2020, 12, 1, 9):
        reopened = ok(reviewer.post("report-reopen", report_id, data={"comment": "数据口径有误，请核实。"}))
    assert reopened["status"] == "returned"
    assert [(e["action"], e["to_status"], e["comment"]) for e in reopened["events"]] == [
        ("submit", "submitted", ""),
        ("return", "returned", "请补充审批时限数据。"),
        ("submit", "submitted", ""),
        ("approve", "approved", ""),
        ("reopen", "returned", "数据口径有误，请核实。"),
    ]
    assert reopened["events"][1]["actor_name"] == str(office)
    assert reopened["completed"] == "审批时限压缩至 85 个工作日。"


def test_approved_report_is_locked_with_the_services_message(lead, reviewer, report_id):
    ok(lead.post("report-submit", report_id))
    ok(reviewer.post("report-approve", report_id))
    body = ok(lead.patch("report-detail", report_id, data={"problems": "无"}), 400)
    assert "不能修改" in body["detail"]


def test_late_submission_is_flagged_and_filtered(lead, reviewer, report_id, october):
    with frozen(2020, 11, 9, 9):  # Monday after the Friday due date
        report = ok(lead.post("report-submit", report_id))
    assert report["is_late"] is True
    assert report["events"][0]["is_late"] is True
    late = ok(reviewer.get("report-list", is_late="true", period=october.pk))
    assert [row["id"] for row in late["results"]] == [report_id]
    assert ok(reviewer.get("report-list", is_late="false", period=october.pk))["count"] == 0


def test_submission_on_the_due_date_is_on_time(lead, report_id):
    with frozen(2020, 11, 6, 23, 59):
        assert ok(lead.post("report-submit", report_id))["is_late"] is False


def test_saving_again_updates_the_same_draft(lead, task_1_1, october, report_id):
    again = lead.post("report-list", data={"task": task_1_1.pk, "period": october.pk, "completed": "改过的内容"})
    body = ok(again, 200)
    assert body["id"] == report_id
    assert (body["completed"], body["next_plan"], body["progress"]) == ("改过的内容", "", None)


def test_patch_keeps_what_is_not_sent_and_put_replaces_it(lead, report_id):
    patched = ok(lead.patch("report-detail", report_id, data={"progress": 55}))
    assert (patched["progress"], patched["completed"]) == (55, CONTENT["completed"])
    put = ok(lead.put("report-detail", report_id, data={"completed": "只写了这一项"}))
    assert (put["completed"], put["next_plan"], put["progress"]) == ("只写了这一项", "", None)


def test_submission_names_each_missing_field_in_chinese(lead, task_1_1, october):
    draft = ok(lead.post("report-list", data={"task": task_1_1.pk, "period": october.pk, "problems": "暂无"}), 201)
    body = ok(lead.post("report-submit", draft["id"]), 400)
    assert body == {
        "detail": "还有必填内容没有填写。",
        "completed": ["请填写本月完成情况。"],
        "next_plan": ["请填写下月计划。"],
        "progress": ["请填写完成进度。"],
    }
    assert ProgressReport.objects.get(pk=draft["id"]).status == "draft"


def test_create_needs_task_and_period(lead):
    body = ok(lead.post("report-list", data={"completed": "内容"}), 400)
    assert body == {"period": ["该字段是必填项。"], "task": ["该字段是必填项。"]}


def test_progress_out_of_range_is_refused_beside_the_field(lead, report_id):
    body = ok(lead.patch("report-detail", report_id, data={"progress": 120}), 400)
    assert body["progress"] == ["完成进度应在 0 到 100 之间。"]
    assert ok(lead.get("report-detail", report_id))["progress"] == 40


def test_return_and_reopen_need_a_comment(lead, reviewer, report_id):
    ok(lead.post("report-submit", report_id))
    assert ok(reviewer.post("report-return", report_id, data={"comment": "  "}), 400)["comment"] == ["请填写理由。"]
    ok(reviewer.post("report-approve", report_id))
    assert ok(reviewer.post("report-reopen", report_id), 400)["comment"] == ["请填写理由。"]


def test_refusals_keep_the_services_message(reviewer, supporting_user, lead, report_id, task_1_1, october):
    ok(lead.post("report-submit", report_id))
    assert ok(Api(supporting_user).post("report-approve", report_id), 403)["detail"] == "只有新区营商办可以审核。"
    assert ok(lead.post("report-approve", report_id), 403)["detail"] == "只有新区营商办可以审核。"
    assert ok(reviewer.post("report-submit", report_id), 403)["detail"] == "只能修改本单位的填报。"
    office_files = reviewer.post("report-list", data={"task": task_1_1.pk, "period": october.pk, **CONTENT})
    assert ok(office_files, 403)["detail"] == "本单位不是该任务的牵头单位，不能填报。"


def test_closed_period_refuses_new_reports(lead, office, task_1_1, october):
    dispatch.period_close(period=october, user=office)
    body = ok(lead.post("report-list", data={"task": task_1_1.pk, "period": october.pk, **CONTENT}), 400)
    assert body["detail"] == "2020年10月填报期已关闭。"


def test_draft_is_discarded_and_a_submitted_report_stays(lead, reviewer, task_1_1, october, report_id):
    assert lead.delete("report-detail", report_id).status_code == 204
    assert not ProgressReport.objects.filter(pk=report_id).exists()
    again = ok(lead.post("report-list", data={"task": task_1_1.pk, "period": october.pk, **CONTENT}), 201)["id"]
    ok(lead.post("report-submit", again))
    ok(reviewer.post("report-return", again, data={"comment": "请补充。"}))
    assert ok(lead.delete("report-detail", again), 400)["detail"] == "提交过的填报不能删除。"


def test_co_lead_unit_cannot_write_into_another_leads_report(db, plan, lead_user, reviewer):
    """1.3 has three lead units; 规划住建局 sees 审批局's returned report but may not change it,
    and the attempt must not file a report of its own either."""
    task = Task.objects.get(plan=plan, code="1.3")
    co_lead = Api(UserFactory.in_unit("新区规划与住房城乡建设局", username="colead"))
    period = dispatch.period_open(year=2020, month=10)
    report = dispatch.report_save(user=lead_user, task=task, period=period, data=dispatch.ReportInput(**CONTENT))
    assert co_lead.client.get(reverse("api:report-detail", args=[report.pk])).status_code == 404  # a draft
    dispatch.filing_submit(user=lead_user, filing=report)
    ok(reviewer.post("report-return", report.pk, data={"comment": "请补充。"}))

    assert ok(co_lead.get("report-detail", report.pk))["unit_name"] == "新区行政审批与政务服务局"
    assert co_lead.patch("report-detail", report.pk, data={"completed": "改写"}).status_code == 403
    assert co_lead.post("report-submit", report.pk).status_code == 403
    assert ProgressReport.objects.filter(task=task).count() == 1
    assert ProgressReport.objects.get(pk=report.pk).completed == CONTENT["completed"]


def test_indicator_actuals(lead, plan):
    """7.2 (led by 审批局) has the 「6个100%」 indicators for 2020."""
    task = Task.objects.get(plan=plan, code="7.2")
    period = dispatch.period_open(year=2020, month=6)
    online, hall = Indicator.objects.filter(task=task, year=2020).order_by("sort_order")[:2]
    actuals = [{"indicator": online.pk, "value": "92.50"}, {"indicator": hall.pk, "value": 80}]
    report = ok(lead.post("report-list", data={"task": task.pk, "period": period.pk, **CONTENT, "actuals": actuals}), 201)
    assert [(a["indicator"], a["value"]) for a in report["actuals"]] == [(online.pk, "92.50"), (hall.pk, "80.00")]
    assert report["actuals"][0]["indicator_name"] == online.name

    cleared = ok(lead.patch("report-detail", report["id"], data={"actuals": [{"indicator": hall.pk, "value": None}]}))
    assert [a["indicator"] for a in cleared["actuals"]] == [online.pk]

    other = Indicator.objects.get(key="water-connection-days")  # 2.2's, not 7.2's
    refused = ok(lead.patch("report-detail", report["id"], data={"actuals": [{"indicator": other.pk, "value": 3}]}), 400)
    assert refused["detail"] == "指标不属于该任务或该年度。"
    bad = ok(lead.patch("report-detail", report["id"], data={"actuals": [{"indicator": online.pk, "value": "x"}]}), 400)
    assert bad["actuals"] == {"0": {"value": ["请填写合法的数字。"]}}


def test_evidence_upload_and_its_metadata(media, lead, lead_user, reviewer, report_id):
    upload = SimpleUploadedFile("现场照片.png", PNG, content_type="image/png")
    response = lead.client.post(reverse("api:report-evidence", args=[report_id]), {"files": [upload]})
    body = ok(response, 201)
    [evidence] = body["evidence"]
    assert (evidence["original_name"], evidence["extension"], evidence["size"]) == ("现场照片.png", ".png", len(PNG))
    assert evidence["uploaded_by_name"] == str(lead_user)
    try:
        expected = "http://testserver" + reverse("evidence-download", args=[evidence["id"]])
    except NoReverseMatch:
        expected = None
    assert evidence["download_url"] == expected
    assert body["completed"] == CONTENT["completed"]  # the content is saved as it stood

    fake = SimpleUploadedFile("截图.pdf", PNG, content_type="application/pdf")
    refused = ok(lead.client.post(reverse("api:report-evidence", args=[report_id]), {"files": [fake]}), 400)
    assert refused["files"] == ["「截图.pdf」的内容与扩展名 .pdf 不符，请上传原始文件。"]
    assert ok(lead.client.post(reverse("api:report-evidence", args=[report_id]), {}), 400)["files"] == ["该字段是必填项。"]


def test_token_client_files_without_csrf(lead_user, task_1_1, october):
    token = Token.objects.create(user=lead_user)
    strict = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Token {token.key}")
    response = strict.post(reverse("api:report-list"), {"task": task_1_1.pk, "period": october.pk, **CONTENT},
                           content_type="application/json")
    assert response.status_code == 201, response.content


# --- lists --------------------------------------------------------------------------------------


@pytest.fixture
def filed(lead_user, office, task_1_1) -> dict[str, ProgressReport]:
    """审批局's reports on 1.1: a draft (Jan), a submitted (Feb, late) and an approved (Mar)."""
    data = dispatch.ReportInput(**CONTENT)
    rows = {}
    for month, name in ((1, "draft"), (2, "submitted"), (3, "approved")):
        period = dispatch.period_open(year=2021, month=month)
        rows[name] = dispatch.report_save(user=lead_user, task=task_1_1, period=period, data=data)
    for name in ("submitted", "approved"):
        rows[name] = dispatch.filing_submit(user=lead_user, filing=rows[name])
    dispatch.filing_review(user=office, filing=rows["approved"], action=ReviewAction.APPROVE)
    return rows


def ids(response) -> list[int]:
    return [row["id"] for row in ok(response)["results"]]


def test_lists_are_scoped(filed, lead, reviewer, supporting_user, outsider, leader):
    newest_first = [filed["approved"].pk, filed["submitted"].pk]
    assert ids(lead.get("report-list")) == [*newest_first, filed["draft"].pk]
    assert ids(reviewer.get("report-list")) == newest_first  # drafts are the unit's own
    assert ids(Api(leader).get("report-list")) == newest_first
    assert ids(Api(supporting_user).get("report-list")) == newest_first
    assert ids(Api(outsider).get("report-list")) == []


def test_list_filters(filed, reviewer, task_1_1, plan):
    submitted, approved = filed["submitted"], filed["approved"]
    assert ids(reviewer.get("report-list", status="approved")) == [approved.pk]
    assert ids(reviewer.get("report-list", period=submitted.period_id)) == [submitted.pk]
    assert ids(reviewer.get("report-list", task=task_1_1.pk, unit=submitted.unit_id)) == [approved.pk, submitted.pk]
    assert ids(reviewer.get("report-list", group=task_1_1.group_id, is_late="true")) == [approved.pk, submitted.pk]
    other_task = Task.objects.get(plan=plan, code="2.2")
    assert ids(reviewer.get("report-list", task=other_task.pk)) == []
    assert ok(reviewer.get("report-list", status="unknown"), 400)["status"]


def test_task_filter_is_limited_to_visible_tasks(filed, outsider, task_1_1):
    # Outside the scope the task answers like an id that does not exist.
    body = ok(Api(outsider).get("report-list", task=task_1_1.pk), 400)
    assert "task" in body


def test_report_list_row(filed, reviewer, task_1_1):
    row = ok(reviewer.get("report-list", status="approved"))["results"][0]
    assert row["task_code"] == "1.1" and row["period_label"] == "2021年3月"
    assert (row["unit_name"], row["status_display"]) == ("新区行政审批与政务服务局", "已通过")
    assert "events" not in row  # the list stays one query for its rows


# --- contributions ------------------------------------------------------------------------------


def test_contribution_flow(supporting_user, lead, reviewer, task_1_1, october):
    supporting = Api(supporting_user)
    created = ok(supporting.post("contribution-list", data={"task": task_1_1.pk, "period": october.pk}), 201)
    assert ok(supporting.post("contribution-submit", created["id"]), 400) == {
        "detail": "还有必填内容没有填写。", "text": ["请填写配合情况。"],
    }
    ok(supporting.patch("contribution-detail", created["id"], data={"text": "沣东新城完成 12 个项目联审。"}))
    with frozen(2020, 11, 2, 9):
        ok(supporting.post("contribution-submit", created["id"]))
    # The lead unit reads its supporting units' part; it cannot change it.
    assert ok(lead.get("contribution-detail", created["id"]))["unit_name"] == "沣东新城"
    assert lead.patch("contribution-detail", created["id"], data={"text": "x"}).status_code == 403
    ok(reviewer.post("contribution-return", created["id"], data={"comment": "请写明项目名称。"}))
    ok(supporting.put("contribution-detail", created["id"], data={"text": "沣东新城完成 12 个项目联审（附清单）。"}))
    ok(supporting.post("contribution-submit", created["id"]))
    approved = ok(reviewer.post("contribution-approve", created["id"]))
    assert approved["status"] == "approved"
    assert [e["action"] for e in approved["events"]] == ["submit", "return", "submit", "approve"]
    assert ok(reviewer.get("contribution-list", period=october.pk, status="approved"))["count"] == 1


def test_lead_unit_cannot_file_a_contribution(lead, task_1_1, october):
    body = ok(lead.post("contribution-list", data={"task": task_1_1.pk, "period": october.pk, "text": "x"}), 403)
    assert body["detail"] == "本单位不是该任务的配合单位，不能填报。"


def test_supporting_unit_cannot_file_the_lead_report(supporting_user, task_1_1, october):
    body = ok(Api(supporting_user).post("report-list", data={"task": task_1_1.pk, "period": october.pk}), 403)
    assert body["detail"] == "本单位不是该任务的牵头单位，不能填报。"


# --- annual work plans --------------------------------------------------------------------------


def test_annual_plan_flow(media, lead, reviewer, task_1_1):
    created = ok(lead.post("annual-plan-list", data={"task": task_1_1.pk, "year": 2021}), 201)
    assert created["due_date"] == "2021-01-31"
    assert ok(lead.post("annual-plan-submit", created["id"]), 400)["content"] == ["请填写年度工作方案。"]
    ok(lead.patch("annual-plan-detail", created["id"], data={"content": "一、审批提速；二、联审联办。"}))
    upload = SimpleUploadedFile("台账.png", PNG, content_type="image/png")
    with_file = ok(lead.client.post(reverse("api:annual-plan-evidence", args=[created["id"]]), {"files": upload}), 201)
    assert [e["original_name"] for e in with_file["evidence"]] == ["台账.png"]
    with frozen(2021, 2, 1, 9):
        assert ok(lead.post("annual-plan-submit", created["id"]))["is_late"] is True
    ok(reviewer.post("annual-plan-approve", created["id"]))
    assert ok(reviewer.get("annual-plan-list", year=2021, is_late="true"))["count"] == 1


def test_annual_plan_outside_the_plan_years(lead, task_1_1):
    assert ok(lead.post("annual-plan-list", data={"task": task_1_1.pk, "year": 2019}), 400)["detail"] == "2019 年不在方案执行期内。"


# --- periods ------------------------------------------------------------------------------------


def test_periods(lead, db):
    dispatch.period_open(year=2020, month=10)
    dispatch.period_open(year=2020, month=11)
    rows = ok(lead.get("period-list"))["results"]
    assert [(p["label"], p["due_date"], p["status"]) for p in rows] == [
        ("2020年11月", "2020-12-07", "open"), ("2020年10月", "2020-11-06", "open"),
    ]
    assert ok(lead.get("period-list", year=2021))["count"] == 0
    assert ok(lead.get("period-detail", rows[0]["id"]))["status_display"] == "填报中"
