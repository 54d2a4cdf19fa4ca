"""The inspection pages (督查): rounds, logging findings one after another, the findings lists,
rectification with evidence, verification (销号 / 退回整改), extension requests, and what bad
input does (a Chinese message, nothing saved).

Time stands still on Monday 2022-06-06 (the seed plan runs 2020–2022, whose holidays the
calendar knows): a finding found that day with 10 working days is due on Monday 2022-06-20
(the 端午 holiday on Friday 2022-06-03 is already behind). The findings are against
新区行政审批与政务服务局 (lead_user) on task 1.1.
"""

from __future__ import annotations

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from supervision.choices import EvidenceStage, FindingAction, FindingStatus, RoundStatus, Severity
from supervision.models import (
    ExtensionRequest,
    Finding,
    FindingEvent,
    FindingEvidence,
    InspectionRound,
    Rectification,
)
from supervision.services import inspections as services
from tasks.models import Task, Unit, User
from tests.factories import UserFactory
from tests.matrix import signed_in
from tests.test_pages_filing import media, pdf_upload, tiny_pdf  # noqa: F401  (fixture)

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = datetime.date(2022, 6, 6)
APPROVAL_BUREAU = "新区行政审批与政务服务局"


@pytest.fixture(autouse=True)
def monday():
    with time_machine.travel(datetime.datetime(2022, 6, 6, 10, tzinfo=SHANGHAI), tick=False):
        yield


# --- builders shared with the permission and query tests -----------------------------------


def make_round(inspector, *, tasks=(), units=(), title="2022年第2季度优化营商环境联合专项督查",
               status=RoundStatus.PLANNED) -> InspectionRound:
    data = services.RoundInput(year=2022, quarter=2, title=title, method="four_nos", team=[inspector],
                               tasks=list(tasks), units=list(units), status=status,
                               conclusion="督查完毕。" if status == RoundStatus.CONCLUDED else "")
    return services.round_create(user=inspector, data=data)


def make_finding(inspector, round_, unit, *, task=None, description="审批事项清单未按要求公开。",
                 days=10, files=None, found_on=None) -> Finding:
    data = services.FindingInput(unit=unit, task=task, description=description, severity=Severity.SERIOUS,
                                 deadline_working_days=days, found_on=found_on)
    return services.finding_create(user=inspector, round_=round_, data=data, files=files)


def rectify_and_submit(user, finding) -> Finding:
    services.finding_rectification_save(user=user, finding=finding, measures="已公开清单。", result="整改到位。")
    return services.finding_submit(user=user, finding=finding)


def signed_user(unit: Unit):
    """Another staff account of the unit (the persona fixtures are taken by the page's user)."""
    username = f"staff-{unit.pk}"
    return User.objects.filter(username=username).first() or UserFactory.in_unit(unit.name, username=username)


def unit_named(name: str) -> Unit:
    return Unit.objects.get(name=name)


@pytest.fixture
def bureau(plan) -> Unit:
    return unit_named(APPROVAL_BUREAU)


@pytest.fixture
def round_q2(inspector, task_1_1, bureau) -> InspectionRound:
    return make_round(inspector, tasks=[task_1_1], units=[bureau])


@pytest.fixture
def finding(inspector, round_q2, bureau, task_1_1) -> Finding:
    """An open finding against 审批局 on task 1.1, with a photo of the inspection (a PDF)."""
    return make_finding(inspector, round_q2, bureau, task=task_1_1, files=[pdf_upload("现场检查记录.pdf")])




def html(response) -> str:
    return response.content.decode()


def detail_url(finding) -> str:
    return reverse("supervision:finding-detail", args=[finding.pk])


def field_value(page: str, name: str) -> str | None:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', page)
    return match.group(1) if match else None


def selected_option(page: str, name: str) -> str | None:
    select = re.search(rf'<select name="{name}".*?</select>', page, re.S)
    match = re.search(r'<option value="([^"]*)"[^>]*selected', select.group(0)) if select else None
    return match.group(1) if match else None


def textarea(page: str, name: str) -> str | None:
    match = re.search(rf'<textarea name="{name}"[^>]*>\n?(.*?)</textarea>', page, re.S)
    return match.group(1) if match else None


# --- rounds ----------------------------------------------------------------------------------


def test_round_created_through_the_page(client, office, inspector, task_1_1, bureau):
    response = signed_in(client, office).post(reverse("supervision:round-new"), {
        "year": "2022", "quarter": "2", "title": "二季度专项督查", "method": "four_nos", "status": "planned",
        "team": [inspector.pk], "units": [bureau.pk], "tasks": [task_1_1.pk],
    })
    round_ = InspectionRound.objects.get(title="二季度专项督查")
    assert response.status_code == 302 and response["Location"] == reverse("supervision:round-detail", args=[round_.pk])
    assert list(round_.team.all()) == [inspector] and list(round_.tasks.all()) == [task_1_1]
    page = html(client.get(reverse("supervision:round-list")))
    assert "二季度专项督查" in page and "四不两直" in page and "计划中" in page


def test_round_list_counts_findings(client, office, inspector, finding, round_q2, bureau):
    other = make_finding(inspector, round_q2, bureau, description="另一个问题")
    rectify_and_submit(signed_user(bureau), other)
    services.finding_verify(user=inspector, finding=other, close=True)
    page = html(signed_in(client, office).get(reverse("supervision:round-list")))
    row = re.search(r"<tr>\s*<td class=\"col-quarter\">2022年第2季度</td>.*?</tr>", page, re.S).group(0)
    assert re.findall(r'<td class="num">(?:<strong>)?(\d+)', row) == ["2", "1"]
    assert "督查中" in row  # the first finding put the planned round in progress


def test_concluding_a_round_needs_a_conclusion(client, inspector, round_q2):
    url = reverse("supervision:round-edit", args=[round_q2.pk])
    form = {"year": "2022", "quarter": "2", "title": round_q2.title, "method": "four_nos", "status": "concluded",
            "team": [inspector.pk]}
    response = signed_in(client, inspector).post(url, form)
    assert response.status_code == 200 and "结束督查前请填写督查结论。" in html(response)
    assert InspectionRound.objects.get(pk=round_q2.pk).status == RoundStatus.PLANNED
    response = client.post(url, {**form, "conclusion": "问题已全部交办。"})
    assert response.status_code == 302
    assert InspectionRound.objects.get(pk=round_q2.pk).status == RoundStatus.CONCLUDED


def test_round_team_must_be_inspectors(client, office, lead_user):
    response = signed_in(client, office).post(reverse("supervision:round-new"), {
        "year": "2022", "quarter": "2", "title": "三季度", "method": "four_nos", "status": "planned",
        "team": [lead_user.pk],
    })
    assert response.status_code == 200 and "所选内容已不存在" in html(response)
    assert not InspectionRound.objects.filter(title="三季度").exists()


def test_round_detail_shows_scope_team_and_findings(client, leader, inspector, finding, task_1_1):
    page = html(signed_in(client, leader).get(reverse("supervision:round-detail", args=[finding.round_id])))
    assert str(inspector) in page and task_1_1.title in page and finding.number in page
    assert 'name="description"' not in page  # leaders read; only inspectors log findings


# --- logging findings one after another ------------------------------------------------------


def test_inspector_logs_three_findings_in_a_row(client, inspector, round_q2, bureau, task_1_1, settings):
    settings.FINDING_DEADLINE_WORKING_DAYS = 7
    detail = reverse("supervision:round-detail", args=[round_q2.pk])
    page = html(signed_in(client, inspector).get(detail))
    assert field_value(page, "deadline_working_days") == "7" and field_value(page, "found_on") == "2022-06-06"
    # Tasks in the round's scope come first.
    assert page.index('<optgroup label="本轮督查任务">') < page.index(task_1_1.title) < page.index('<optgroup label="其他任务">')

    log = reverse("supervision:finding-new", args=[round_q2.pk])
    descriptions = ["窗口未公开办事指南。", "一次性告知单缺失。", "帮办代办台账不全。"]
    for number, description in enumerate(descriptions, start=1):
        response = client.post(log, {"back": "detail", "unit": bureau.pk, "task": task_1_1.pk, "description": description,
                                     "severity": "grave", "deadline_working_days": "5", "found_on": "2022-06-06"},
                               follow=True)
        page = html(response)
        assert response.redirect_chain[-1][0].startswith(detail + "?")
        assert f"已登记 2022Q2-{number:03d}，可继续登记下一条" in page
        # Emptied but for the unit, severity and deadline; the new finding listed and marked.
        assert textarea(page, "description") == ""
        assert selected_option(page, "unit") == str(bureau.pk) and selected_option(page, "severity") == "grave"
        assert field_value(page, "deadline_working_days") == "5"
        assert description in page and "刚登记" in page
    findings = list(Finding.objects.order_by("number"))
    assert [f.number for f in findings] == ["2022Q2-001", "2022Q2-002", "2022Q2-003"]
    assert {(f.unit, f.severity, f.deadline_working_days, f.due_date) for f in findings} == {
        (bureau, "grave", 5, datetime.date(2022, 6, 13))}


def test_finding_page_logs_with_inspection_evidence(client, inspector, round_q2, bureau, lead_user):
    response = signed_in(client, inspector).post(reverse("supervision:finding-new", args=[round_q2.pk]), {
        "unit": bureau.pk, "description": "现场抽查发现超时办结。", "severity": "general",
        "deadline_working_days": "10", "files": [pdf_upload("抽查记录.pdf")],
    })
    finding = Finding.objects.get()
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("supervision:finding-new", args=[round_q2.pk]) + "?")
    assert finding.found_on == TODAY and finding.due_date == datetime.date(2022, 6, 20) and finding.task is None
    evidence = finding.evidence.get()
    assert evidence.stage == EvidenceStage.INSPECTION and evidence.original_name == "抽查记录.pdf"
    download = signed_in(client, lead_user).get(reverse("supervision:finding-evidence", args=[evidence.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == tiny_pdf()
    assert "attachment" in download["Content-Disposition"]


@pytest.mark.parametrize(("change", "message"), [
    ({"description": "  "}, "请填写问题描述。"),
    ({"deadline_working_days": "0"}, "整改时限应为 1 到 250 个工作日。"),
    ({"deadline_working_days": "abc"}, "请填写整数。"),
    ({"unit": ""}, "请选择责任单位。"),
    ({"found_on": "2022-13-01"}, "请填写有效的日期"),
    ({"files": [SimpleUploadedFile("记录.pdf", b"not a pdf", content_type="application/pdf")]}, "内容与扩展名 .pdf 不符"),
])
def test_bad_finding_input_saves_nothing(client, inspector, round_q2, bureau, change, message):
    form = {"unit": bureau.pk, "description": "问题", "severity": "general", "deadline_working_days": "10"} | change
    response = signed_in(client, inspector).post(reverse("supervision:finding-new", args=[round_q2.pk]), form)
    assert response.status_code == 200 and message in html(response)
    assert not Finding.objects.exists() and not FindingEvidence.objects.exists()
    assert InspectionRound.objects.get(pk=round_q2.pk).status == RoundStatus.PLANNED


def test_empty_post_names_every_required_field(client, inspector, round_q2):
    response = signed_in(client, inspector).post(reverse("supervision:finding-new", args=[round_q2.pk]), {})
    page = html(response)
    assert response.status_code == 200 and "请按提示修改标出的内容。" in page
    assert "请选择责任单位。" in page and "请填写问题描述。" in page and "请填写整改时限。" in page
    assert not Finding.objects.exists()


def test_concluded_round_takes_no_findings(client, inspector, bureau):
    round_ = make_round(inspector, title="已结束的督查", status=RoundStatus.CONCLUDED)
    page = html(signed_in(client, inspector).get(reverse("supervision:round-detail", args=[round_.pk])))
    assert 'name="description"' not in page
    response = client.post(reverse("supervision:finding-new", args=[round_.pk]),
                           {"unit": bureau.pk, "description": "问题", "severity": "general", "deadline_working_days": "5"})
    assert response.status_code == 200 and "该督查轮次已结束，不能再登记问题。" in html(response)
    assert not Finding.objects.exists()


# --- the findings lists ----------------------------------------------------------------------


def test_unit_sees_only_its_findings_with_lights(client, inspector, lead_user, round_q2, finding, bureau):
    other_unit = unit_named("沣东新城")
    make_finding(inspector, round_q2, other_unit, description="沣东新城的问题")
    overdue = make_finding(inspector, round_q2, bureau, description="早已到期的问题", days=2,
                           found_on=datetime.date(2022, 5, 23))
    soon = make_finding(inspector, round_q2, bureau, description="三天内到期的问题", days=2)
    page = html(signed_in(client, lead_user).get(reverse("supervision:finding-list")))
    assert "我的督查问题" in page and "沣东新城的问题" not in page
    assert 'name="status"' not in page  # no filters for a unit

    def row(number):
        return re.search(rf'<tr[^>]*>\s*<td class="col-number"><a[^>]*>{number}</a>.*?</tr>', page, re.S).group(0)

    assert "badge-red" in row(overdue.number) and "逾期 7 个工作日" in row(overdue.number)
    assert "badge-yellow" in row(soon.number) and "剩 2 个工作日" in row(soon.number)
    assert "badge-green" in row(finding.number) and "剩 10 个工作日" in row(finding.number)


def test_office_filters_all_findings(client, office, inspector, round_q2, finding, bureau):
    fengdong = unit_named("沣东新城")
    other = make_finding(inspector, round_q2, fengdong, description="沣东新城的问题")
    late = make_finding(inspector, round_q2, bureau, description="已逾期的问题", days=2, found_on=datetime.date(2022, 5, 23))
    url = reverse("supervision:finding-list")
    signed_in(client, office)

    def numbers(**query):
        return set(re.findall(r'<td class="col-number"><a[^>]*>([^<]+)</a>', html(client.get(url, query))))

    assert numbers() == {finding.number, other.number, late.number}
    assert numbers(unit=fengdong.pk) == {other.number}
    assert numbers(overdue="1") == {late.number}
    assert numbers(severity="general") == set()
    assert numbers(round=round_q2.pk, status="open") == {finding.number, other.number, late.number}
    rectify_and_submit(signed_user(bureau), finding)
    assert numbers(status="submitted") == {finding.number}
    assert numbers(status="nonsense", unit="x") == {finding.number, other.number, late.number}


def test_finding_list_paginates_by_fifty(client, office, inspector, round_q2, bureau):
    for n in range(51):
        make_finding(inspector, round_q2, bureau, description=f"问题{n}")
    page = html(signed_in(client, office).get(reverse("supervision:finding-list")))
    assert page.count('<td class="col-number">') == 50 and "1 / 2" in page
    second = html(client.get(reverse("supervision:finding-list"), {"page": 2}))
    assert second.count('<td class="col-number">') == 1


# --- rectification, verification, extension ----------------------------------------------------


def test_rectification_verification_and_close_out(client, lead_user, inspector, finding):
    url = detail_url(finding)
    page = html(signed_in(client, lead_user).get(url))
    assert "提交核验" in page and "现场检查记录.pdf" in page and 'name="reason"' in page
    assert 'value="close"' not in page and 'value="reject"' not in page  # inspectors verify

    rectify = reverse("supervision:finding-rectify", args=[finding.pk])
    response = client.post(rectify, {"measures": "已在政务网公开清单。", "result": "", "action": "save",
                                     "files": [pdf_upload("整改佐证.pdf")]})
    assert response.status_code == 302 and response["Location"] == url
    finding.refresh_from_db()
    assert finding.status == FindingStatus.RECTIFYING
    evidence = finding.evidence.get(stage=EvidenceStage.RECTIFICATION)
    assert evidence.original_name == "整改佐证.pdf"

    response = client.post(rectify, {"measures": "已在政务网公开清单。", "result": "", "action": "submit"})
    assert response.status_code == 200 and "请填写整改结果。" in html(response)
    assert Finding.objects.get(pk=finding.pk).status == FindingStatus.RECTIFYING

    response = client.post(rectify, {"measures": "已在政务网公开清单。", "result": "清单已公开。", "action": "submit"},
                           follow=True)
    assert "已提交核验" in html(response) and Finding.objects.get(pk=finding.pk).status == FindingStatus.SUBMITTED
    assert 'name="measures"' not in html(response)  # read-only while the inspector verifies

    verify = reverse("supervision:finding-verify", args=[finding.pk])
    queue = html(signed_in(client, inspector).get(reverse("supervision:verification-queue")))
    assert finding.number in queue and "核验" in queue
    response = client.post(verify, {"action": "reject", "comment": "  "})
    assert response.status_code == 200 and "退回整改时请写明原因。" in html(response) and "请写明退回原因。" in html(response)
    assert Finding.objects.get(pk=finding.pk).status == FindingStatus.SUBMITTED
    assert not FindingEvent.objects.filter(finding=finding, action=FindingAction.REJECT).exists()

    client.post(verify, {"action": "reject", "comment": "佐证材料不足，请补充公开截图。"})
    assert Finding.objects.get(pk=finding.pk).status == FindingStatus.RECTIFYING
    page = html(signed_in(client, lead_user).get(url))
    assert "佐证材料不足，请补充公开截图。" in page and textarea(page, "measures") == "已在政务网公开清单。"

    client.post(rectify, {"measures": "已在政务网公开清单。", "result": "清单已公开，截图见附件。", "action": "submit",
                          "files": [pdf_upload("公开截图.pdf")]})
    assert Finding.objects.get(pk=finding.pk).status == FindingStatus.SUBMITTED

    response = signed_in(client, inspector).post(verify, {"action": "close", "comment": ""}, follow=True)
    closed = Finding.objects.get(pk=finding.pk)
    assert closed.status == FindingStatus.CLOSED and closed.closed_at is not None
    page = html(response)
    assert f"{finding.number} 已销号。" in page and "已销号" in page
    assert 'name="action" value="close"' not in page
    assert [e.action for e in closed.events.order_by("pk")] == ["create", "start", "submit", "reject", "submit", "close"]


def test_unit_deletes_its_own_rectification_evidence(client, lead_user, finding):
    rectify = reverse("supervision:finding-rectify", args=[finding.pk])
    signed_in(client, lead_user).post(rectify, {"measures": "措施", "action": "save", "files": [pdf_upload("错传.pdf")]})
    evidence = finding.evidence.get(stage=EvidenceStage.RECTIFICATION)
    page = html(client.get(detail_url(finding)))
    assert f'name="delete_evidence" value="{evidence.pk}"' in page
    inspection = finding.evidence.get(stage=EvidenceStage.INSPECTION)
    assert f'name="delete_evidence" value="{inspection.pk}"' not in page  # the inspector's file
    response = client.post(rectify, {"measures": "措施（改）", "delete_evidence": evidence.pk})
    assert response.status_code == 302
    assert not FindingEvidence.objects.filter(pk=evidence.pk).exists()
    assert Rectification.objects.get(finding=finding).measures == "措施（改）"


def test_bad_rectification_file_saves_nothing(client, lead_user, finding):
    fake = SimpleUploadedFile("整改.pdf", b"plain text", content_type="application/pdf")
    response = signed_in(client, lead_user).post(reverse("supervision:finding-rectify", args=[finding.pk]),
                                                 {"measures": "措施", "result": "结果", "action": "submit", "files": [fake]})
    page = html(response)
    assert response.status_code == 200 and "内容与扩展名 .pdf 不符" in page
    assert textarea(page, "measures") == "措施"  # what was typed is kept
    assert not Rectification.objects.exists()
    assert Finding.objects.get(pk=finding.pk).status == FindingStatus.OPEN
    assert not finding.evidence.filter(stage=EvidenceStage.RECTIFICATION).exists()


def test_extension_request_and_decision_on_the_timeline(client, lead_user, office, finding):
    url = reverse("supervision:finding-extension", args=[finding.pk])
    response = signed_in(client, lead_user).post(url, {"requested_due_date": "2022-06-10", "reason": "需协调"})
    assert response.status_code == 200 and "申请延至的日期应晚于原截止日期 2022-06-20。" in html(response)
    response = client.post(url, {"requested_due_date": "", "reason": ""})
    assert "请选择申请延至的日期。" in html(response) and "请填写申请理由。" in html(response)
    assert not ExtensionRequest.objects.exists()

    response = client.post(url, {"requested_due_date": "2022-07-01", "reason": "需与自然资源局协调系统对接。"}, follow=True)
    page = html(response)
    assert "延期申请已提交" in page and "待审批" in page and "申请延期至 2022-07-01" in page
    assert 'name="reason"' not in page  # one pending request at a time
    extension = ExtensionRequest.objects.get()

    office_page = html(signed_in(client, office).get(detail_url(finding)))
    assert "需与自然资源局协调系统对接。" in office_page

    services.extension_decide(user=office, extension=extension, grant=True, comment="同意。")
    page = html(signed_in(client, lead_user).get(detail_url(finding)))
    assert "延期申请已同意" in page and "截止日期由 2022-06-20 延至 2022-07-01" in page
    assert "批准延至 <strong>2022-07-01</strong>" in page
    assert Finding.objects.get(pk=finding.pk).due_date == datetime.date(2022, 7, 1)


def test_no_extension_once_overdue(client, lead_user, inspector, round_q2, bureau):
    late = make_finding(inspector, round_q2, bureau, days=2, found_on=datetime.date(2022, 5, 23))
    page = html(signed_in(client, lead_user).get(detail_url(late)))
    assert 'name="reason"' not in page and "逾期 7 个工作日" in page
    response = client.post(reverse("supervision:finding-extension", args=[late.pk]),
                           {"requested_due_date": "2022-07-01", "reason": "来不及"})
    assert "逾期后不能再申请延期" in html(response)
    assert not ExtensionRequest.objects.exists()


def test_office_sees_the_ladder_link(client, office, lead_user, finding):
    from django.urls import NoReverseMatch

    try:
        target = reverse("supervision:escalation-new")
    except NoReverseMatch:
        target = None
    page = html(signed_in(client, office).get(detail_url(finding)))
    if target:
        assert f"{target}?finding={finding.pk}" in page and "发起催办/督办单" in page
    assert "发起催办/督办单" not in html(signed_in(client, lead_user).get(detail_url(finding)))


def test_verification_queue_oldest_first(client, leader, inspector, round_q2, bureau):
    lead = signed_user(bureau)
    found = datetime.date(2022, 5, 30)
    first = make_finding(inspector, round_q2, bureau, description="先登记、后提交的", found_on=found)
    second = make_finding(inspector, round_q2, bureau, description="后登记、先提交的", found_on=found)
    with time_machine.travel(datetime.datetime(2022, 6, 1, 9, tzinfo=SHANGHAI), tick=False):
        rectify_and_submit(lead, second)
    with time_machine.travel(datetime.datetime(2022, 6, 2, 9, tzinfo=SHANGHAI), tick=False):
        rectify_and_submit(lead, first)
    make_finding(inspector, round_q2, bureau, description="尚未提交的")
    page = html(signed_in(client, leader).get(reverse("supervision:verification-queue")))
    assert page.count('<td class="col-number">') == 2
    assert page.index(second.number) < page.index(first.number)
    assert re.findall(r'<td class="num">(\d+) 天</td>', page) == ["5", "4"]
    assert "查看" in page and ">核验<" not in page  # leaders read; inspectors verify
    assert ">核验<" in html(signed_in(client, inspector).get(reverse("supervision:verification-queue")))


def test_tasks_outside_scope_still_selectable(plan, inspector, bureau):
    from supervision.forms import FindingForm

    round_ = make_round(inspector, title="不限任务")
    form = FindingForm(round_=InspectionRound.objects.prefetch_related("tasks").get(pk=round_.pk))
    assert len(list(form.fields["task"].choices)) == Task.objects.filter(is_active=True).count() + 1
