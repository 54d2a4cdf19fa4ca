"""The escalation ladder's pages (督办): the overdue board, 催办 and 督办单 by hand, the unit's
reply, the printed and downloaded 督办单, extension decisions, 通报, the messenger robot, the
navigation and the ladder steps on the task page.

Time stands still on Friday 2026-02-13, 09:00 (a working day, the last before the Spring
Festival holiday). On that day, in the small plan (2025–2026) the tests add:
- a finding against 新区行政审批与政务服务局 (lead_user's unit) found on Tuesday 2026-01-20 with
  5 working days is due Tuesday 2026-01-27, and overdue;
- the January 2026 progress reports fell due on the 5th working day of February (Friday 02-06);
- the 2026 annual work plans fell due on 2026-01-31.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from supervision.choices import ExtensionStatus, ItemKind, Level
from supervision.models import (
    Bulletin,
    Escalation,
    Finding,
    InspectionRound,
    MessengerWebhook,
)
from supervision.services import (
    escalation_send,
    extension_request,
    finding_create,
    round_create,
)
from supervision.services.inspections import FindingInput, RoundInput
from supervision.services.ladder import item_for_finding, item_for_report
from tasks.choices import AssignmentRole, GroupKind
from tasks.models import ActionPlan, Notification, Task, TaskAssignment, TaskGroup, Unit
from tasks.services import dispatch
from tasks.workdays import add_working_days

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 2, 13)
LEAD_UNIT = "新区行政审批与政务服务局"  # lead_user's unit
OTHER_UNIT = "沣东新城"  # supporting_user's unit


# --- data ------------------------------------------------------------------------------------


@pytest.fixture
def today():
    """Friday 2026-02-13, 09:00 in Xixian, for the whole test."""
    with time_machine.travel(dt.datetime(2026, 2, 13, 9, tzinfo=SHANGHAI), tick=False):
        yield TODAY


def unit(name: str) -> Unit:
    return Unit.objects.get(name=name)


def ladder_plan(lead_units: list[str]) -> list[Task]:
    """A plan running 2025–2026 (the seed plan ended in 2022) with one task per lead unit, so
    that the January reports and the 2026 annual plans are owed by exactly these units."""
    plan = ActionPlan.objects.create(
        title="测试行动方案（2025年—2026年）", start_year=2025, end_year=2026, source_text="测试",
        source_sha256="0" * 64, imported_at=dt.datetime(2025, 1, 2, tzinfo=SHANGHAI),
    )
    group = TaskGroup.objects.create(plan=plan, kind=GroupKind.MAIN, number=1, title="优化审批服务")
    tasks = []
    for n, name in enumerate(lead_units, start=1):
        task = Task.objects.create(plan=plan, group=group, number=n, code=f"1.{n}", title=f"测试任务{n}",
                                   text=f"测试任务{n}的内容。", sort_order=n)
        TaskAssignment.objects.create(task=task, unit=unit(name), role=AssignmentRole.LEAD)
        tasks.append(task)
    return tasks


def a_round(inspector) -> InspectionRound:
    existing = InspectionRound.objects.filter(year=2026, quarter=1).first()
    return existing or round_create(user=inspector, data=RoundInput(year=2026, quarter=1, title="2026年第1季度专项督查",
                                                                    method="four_nos"))


def a_finding(inspector, *, unit_name: str = LEAD_UNIT, found_on: dt.date = dt.date(2026, 1, 20),
              working_days: int = 5, description: str = "窗口未落实一次性告知制度。") -> Finding:
    data = FindingInput(unit=unit(unit_name), description=description, severity="general",
                        deadline_working_days=working_days, found_on=found_on)
    return finding_create(user=inspector, round_=a_round(inspector), data=data)


def january():
    return dispatch.period_open(year=2026, month=1)


def urge(office, finding, message: str = "请抓紧整改。") -> Escalation:
    return escalation_send(user=office, item=item_for_finding(finding), level=Level.URGE, message=message)


def notice(office, finding, *, action: str = "立即整改并书面报告。", new_due: dt.date = dt.date(2026, 2, 27),
           message: str = "整改逾期未完成。") -> Escalation:
    return escalation_send(user=office, item=item_for_finding(finding), level=Level.NOTICE, message=message,
                           required_action=action, new_due_date=new_due)


def ok(response):
    assert response.status_code == 200, response.content[:400]
    return response


def text_of(response) -> str:
    return response.content.decode()


# --- 催办 by hand, the unit's inbox, the reply ------------------------------------------------


def test_office_urges_by_hand_and_the_unit_replies_once(client, today, office, inspector, lead_user):
    finding = a_finding(inspector)
    client.force_login(office)
    url = f"{reverse('supervision:escalation-new')}?finding={finding.pk}&level=urge"
    page = ok(client.get(url))
    assert finding.number in text_of(page) and "新区行政审批与政务服务局" in text_of(page)

    response = client.post(url, {"level": "urge", "message": "请于本周内完成整改并提交核验。"})
    escalation = Escalation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("supervision:escalation-detail", args=[escalation.pk])
    assert (escalation.level, escalation.is_manual, escalation.created_by) == (Level.URGE, True, office)
    assert escalation.overdue_days == 13  # 01-27 → 02-13, the 28th to the 13th, 13 working days

    # The unit finds it in its inbox, with the link to the step.
    inbox = Notification.objects.get(recipient=lead_user, title__startswith="【催办】")
    assert inbox.url == reverse("supervision:escalation-detail", args=[escalation.pk])
    client.force_login(lead_user)
    listing = text_of(ok(client.get(reverse("supervision:escalation-list"))))
    assert finding.number in listing and "待回复" in listing
    detail = text_of(ok(client.get(inbox.url)))
    assert "请于本周内完成整改并提交核验。" in detail and 'name="reply"' in detail

    response = client.post(inbox.url, {"reply": "已完成整改，今日提交核验。"})
    assert response.status_code == 302
    escalation.refresh_from_db()
    assert (escalation.reply, escalation.replied_by) == ("已完成整改，今日提交核验。", lead_user)
    assert Notification.objects.filter(recipient=office, title__contains="回复了催办").exists()

    # A second reply is refused and changes nothing.
    again = ok(client.post(inbox.url, {"reply": "再次回复"}))
    assert "本单位已回复过。" in text_of(again)
    escalation.refresh_from_db()
    assert escalation.reply == "已完成整改，今日提交核验。"
    assert 'name="reply"' not in text_of(ok(client.get(inbox.url)))


def test_an_empty_reply_is_refused_in_chinese(client, today, office, inspector, lead_user):
    escalation = urge(office, a_finding(inspector))
    client.force_login(lead_user)
    response = ok(client.post(reverse("supervision:escalation-detail", args=[escalation.pk]), {"reply": "  "}))
    assert "请填写回复内容。" in text_of(response)
    escalation.refresh_from_db()
    assert escalation.replied_at is None


def test_a_reminder_takes_no_reply(client, today, office, inspector, lead_user):
    finding = a_finding(inspector)
    reminder = Escalation.objects.create(key="t:reminder", level=Level.REMINDER, item_kind=ItemKind.FINDING,
                                         finding=finding, unit=finding.unit, due_date=finding.due_date, message="提醒")
    client.force_login(lead_user)
    url = reverse("supervision:escalation-detail", args=[reminder.pk])
    assert 'name="reply"' not in text_of(ok(client.get(url)))
    assert "提醒和通报不需要回复。" in text_of(ok(client.post(url, {"reply": "收到"})))
    reminder.refresh_from_db()
    assert reminder.reply == ""


def test_the_escalation_list_filters_by_level_unit_and_awaiting_reply(client, today, office, inspector, lead_user):
    mine, theirs = a_finding(inspector), a_finding(inspector, unit_name=OTHER_UNIT)
    urged, noticed, other = urge(office, mine), notice(office, mine), urge(office, theirs)
    urged.replied_at = dt.datetime(2026, 2, 13, 8, tzinfo=SHANGHAI)
    urged.save(update_fields=["replied_at"])
    client.force_login(office)

    def listed(**params) -> set[int]:
        return {e.pk for e in ok(client.get(reverse("supervision:escalation-list"), params)).context["page"]}

    assert listed() == {urged.pk, noticed.pk, other.pk}
    assert listed(level="notice") == {noticed.pk}
    assert listed(unit=unit(OTHER_UNIT).pk) == {other.pk}
    assert listed(awaiting="on") == {noticed.pk, other.pk}
    # A unit sees what was sent to it, and has no unit filter.
    client.force_login(lead_user)
    response = ok(client.get(reverse("supervision:escalation-list")))
    assert {e.pk for e in response.context["page"]} == {urged.pk, noticed.pk}
    assert "unit" not in response.context["form"].fields


# --- 督办单 by hand, printed and downloaded ----------------------------------------------------


def test_office_issues_a_notice_printed_and_downloaded(client, today, office, inspector, lead_user):
    finding = a_finding(inspector)
    client.force_login(office)
    url = f"{reverse('supervision:escalation-new')}?finding={finding.pk}&level=notice"
    form = ok(client.get(url)).context["form"]
    default_due = add_working_days(TODAY, 5).date  # LADDER_NOTICE_DEADLINE_WORKING_DAYS
    assert form.initial == {"level": "notice", "new_due_date": default_due}

    response = client.post(url, {"level": "notice", "message": "整改逾期13个工作日仍未完成。",
                                 "required_action": "立即整改，<b>三日内</b>书面报告。", "new_due_date": "2026-03-06"})
    escalation = Escalation.objects.get()
    assert response.status_code == 302
    assert (escalation.notice_year, escalation.notice_number) == (2026, 1)
    assert escalation.notice_code == "西咸营商督〔2026〕1号"
    assert escalation.new_due_date == dt.date(2026, 3, 6)

    detail = text_of(ok(client.get(reverse("supervision:escalation-detail", args=[escalation.pk]))))
    assert reverse("supervision:notice-print", args=[escalation.pk]) in detail
    assert reverse("supervision:notice-download", args=[escalation.pk]) in detail

    # The printed notice: number, unit, item, dates, the action as typed (escaped), 打印 by static JS.
    printed = text_of(ok(client.get(reverse("supervision:notice-print", args=[escalation.pk]))))
    for expected in ("督办通知单", "西咸营商督〔2026〕1号", "新区行政审批与政务服务局", finding.number,
                     "窗口未落实一次性告知制度。", "2026年1月27日", "13 个工作日", "2026年3月6日", "签发：",
                     "立即整改，&lt;b&gt;三日内&lt;/b&gt;书面报告。", "css/print.css", "js/print.js", "data-print"):
        assert expected in printed, expected
    assert "<b>三日内</b>" not in printed
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", printed)  # no inline script (CSP)
    assert "style=" not in printed

    # The Word document: the same content, on A4, under the notice's name.
    download = client.get(reverse("supervision:notice-download", args=[escalation.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    name = quote("督办单-西咸营商督〔2026〕1号.docx", safe="")
    assert download["Content-Disposition"] == (
        f"attachment; filename=\"notice-2026-1.docx\"; filename*=UTF-8''{name}")
    import docx

    document = docx.Document(io.BytesIO(download.content))
    body = "\n".join(p.text for p in document.paragraphs)
    cells = "\n".join(cell.text for table in document.tables for row in table.rows for cell in row.cells)
    assert "督办通知单" in body and "西咸营商督〔2026〕1号" in body
    assert "2026年3月6日" in cells and "立即整改，<b>三日内</b>书面报告。" in cells and finding.number in cells
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)


def test_a_notice_needs_its_action_and_a_later_deadline(client, today, office, inspector):
    finding = a_finding(inspector)
    client.force_login(office)
    url = f"{reverse('supervision:escalation-new')}?finding={finding.pk}"
    response = ok(client.post(url, {"level": "notice", "message": "", "required_action": "", "new_due_date": "2026-02-13"}))
    page = text_of(response)
    for error in ("请按提示修改后再发送。", "请填写督办事由。", "请填写督办要求。", "限期办结日期应晚于今天。"):
        assert error in page, error
    assert not Escalation.objects.exists()


def test_an_urge_is_not_a_notice_to_print(client, today, office, inspector):
    escalation = urge(office, a_finding(inspector))
    client.force_login(office)
    assert client.get(reverse("supervision:notice-print", args=[escalation.pk])).status_code == 404
    assert client.get(reverse("supervision:notice-download", args=[escalation.pk])).status_code == 404
    # What was typed for a 督办单 does not travel with a 催办.
    url = f"{reverse('supervision:escalation-new')}?finding={escalation.finding_id}"
    client.post(url, {"level": "urge", "message": "催", "required_action": "不应保存", "new_due_date": "2026-03-01"})
    latest = Escalation.objects.latest("pk")
    assert (latest.level, latest.required_action, latest.new_due_date, latest.notice_number) == ("urge", "", None, None)


def test_report_and_annual_plan_items_are_escalated_by_their_parameters(client, today, office, lead_user):
    task, = ladder_plan([LEAD_UNIT])
    period = january()
    client.force_login(office)
    base = reverse("supervision:escalation-new")
    lead = unit(LEAD_UNIT).pk
    report_url = f"{base}?task={task.pk}&unit={lead}&period={period.pk}"
    assert "2026年1月进展填报（1.1）" in text_of(ok(client.get(report_url)))
    assert client.post(report_url, {"level": "urge", "message": "请提交1月进展。"}).status_code == 302
    annual_url = f"{base}?task={task.pk}&unit={lead}&year=2026"
    assert client.post(annual_url, {"level": "urge", "message": "请提交年度工作方案。"}).status_code == 302
    report, annual = Escalation.objects.order_by("pk")
    assert (report.item_kind, report.task, report.period, report.due_date) == (ItemKind.REPORT, task, period, period.due_date)
    assert (annual.item_kind, annual.task, annual.year) == (ItemKind.ANNUAL_PLAN, task, 2026)
    # Items that do not exist, or are not owed by that unit: 404.
    other = unit(OTHER_UNIT).pk
    for query in (f"task={task.pk}&unit={other}&period={period.pk}", f"task={task.pk}&unit={lead}&year=2019",
                  f"task={task.pk}&unit={lead}", f"task={task.pk}&unit={lead}&period={period.pk}&year=2026",
                  "finding=999999", "", "finding=abc", f"task=999999&unit={lead}&period={period.pk}"):
        assert client.get(f"{base}?{query}").status_code == 404, query


# --- the overdue board ------------------------------------------------------------------------


def test_overdue_board_lists_every_kind_with_its_steps_and_the_office_actions(client, today, office, inspector, leader):
    task, = ladder_plan([LEAD_UNIT])
    period = january()
    finding = a_finding(inspector, unit_name=OTHER_UNIT)
    urge(office, finding)
    notice(office, finding)
    client.force_login(office)
    response = ok(client.get(reverse("supervision:overdue-board")))
    rows = {r.row.item.kind: r for r in response.context["rows"]}
    assert set(rows) == {ItemKind.FINDING, ItemKind.REPORT, ItemKind.ANNUAL_PLAN}
    assert rows[ItemKind.FINDING].row.days_overdue == 13
    assert rows[ItemKind.REPORT].row.days_overdue == 5  # due Friday 02-06
    assert [s.label for s in rows[ItemKind.FINDING].steps] == ["催办", "督办单"]
    assert rows[ItemKind.REPORT].steps == []
    page = text_of(response)
    new = reverse("supervision:escalation-new")
    assert f"{new}?finding={finding.pk}&amp;level=urge" in page
    assert f"{new}?task={task.pk}&amp;unit={unit(LEAD_UNIT).pk}&amp;period={period.pk}&amp;level=notice" in page
    assert f"{new}?task={task.pk}&amp;unit={unit(LEAD_UNIT).pk}&amp;year=2026&amp;level=urge" in page

    # Filtered by kind, by unit.
    kinds = ok(client.get(reverse("supervision:overdue-board"), {"kind": "finding"})).context["rows"]
    assert [r.row.item.kind for r in kinds] == [ItemKind.FINDING]
    by_unit = ok(client.get(reverse("supervision:overdue-board"), {"unit": unit(LEAD_UNIT).pk})).context["rows"]
    assert {r.row.item.kind for r in by_unit} == {ItemKind.REPORT, ItemKind.ANNUAL_PLAN}

    # Leaders read the board without the office's actions.
    client.force_login(leader)
    assert new not in text_of(ok(client.get(reverse("supervision:overdue-board"))))


# --- 延期申请 -----------------------------------------------------------------------------------


@pytest.fixture
def extension(today, inspector, lead_user):
    """审批局 asks on 02-13 to move a finding due 02-24 to 03-10."""
    finding = a_finding(inspector, found_on=dt.date(2026, 2, 10), working_days=5)
    assert finding.due_date == dt.date(2026, 2, 24)  # 11, 12, 13, 14 (make-up day), then the holiday
    return extension_request(user=lead_user, finding=finding, requested_due_date=dt.date(2026, 3, 10),
                             reason="需协调住建部门联合整改。")


def decide(client, extension, **data):
    prefixed = {f"ext{extension.pk}-{k}": v for k, v in data.items()}
    return client.post(reverse("supervision:extension-decide", args=[extension.pk]), prefixed)


def test_extension_granted_on_the_requested_date_moves_the_due_date(client, office, extension):
    client.force_login(office)
    page = text_of(ok(client.get(reverse("supervision:extension-list"))))
    assert "需协调住建部门联合整改。" in page and "2026-03-10" in page and "2026-02-24" in page
    response = decide(client, extension, decision="grant", due_date="2026-03-10", comment="")
    assert response.status_code == 302
    extension.refresh_from_db()
    assert (extension.status, extension.granted_due_date) == (ExtensionStatus.GRANTED, dt.date(2026, 3, 10))
    assert Finding.objects.get(pk=extension.finding_id).due_date == dt.date(2026, 3, 10)
    decided = ok(client.get(reverse("supervision:extension-list"))).context
    assert decided["rows"] == [] and [e.pk for e in decided["decided"]] == [extension.pk]


def test_extension_granted_on_another_date(client, office, extension):
    client.force_login(office)
    assert decide(client, extension, decision="grant", due_date="2026-03-04").status_code == 302
    assert Finding.objects.get(pk=extension.finding_id).due_date == dt.date(2026, 3, 4)


def test_extension_refused_needs_a_reason(client, office, extension):
    client.force_login(office)
    response = ok(decide(client, extension, decision="refuse", due_date="2026-03-10", comment=" "))
    assert "不同意延期时请写明理由。" in text_of(response) and "请写明理由。" in text_of(response)
    extension.refresh_from_db()
    assert extension.status == ExtensionStatus.PENDING
    assert decide(client, extension, decision="refuse", comment="整改难度不大，应按期完成。").status_code == 302
    extension.refresh_from_db()
    assert (extension.status, extension.decision_comment) == (ExtensionStatus.REFUSED, "整改难度不大，应按期完成。")
    assert Finding.objects.get(pk=extension.finding_id).due_date == dt.date(2026, 2, 24)


def test_inspectors_read_the_extensions_without_deciding(client, inspector, extension):
    client.force_login(inspector)
    page = text_of(ok(client.get(reverse("supervision:extension-list"))))
    assert "需协调住建部门联合整改。" in page
    assert reverse("supervision:extension-decide", args=[extension.pk]) not in page


# --- 通报 --------------------------------------------------------------------------------------


def test_bulletin_compiled_from_the_page_and_units_see_their_own(client, today, office, inspector, lead_user,
                                                                  supporting_user, outsider):
    mine, theirs = a_finding(inspector), a_finding(inspector, unit_name=OTHER_UNIT)
    notice(office, mine)
    client.force_login(office)
    form = ok(client.get(reverse("supervision:bulletin-list"))).context["form"]
    assert form.initial == {"year": 2026, "month": 1}
    response = client.post(reverse("supervision:bulletin-compile"), {"year": "2026", "month": "2"})
    bulletin = Bulletin.objects.get(year=2026, month=2)
    assert response["Location"] == reverse("supervision:bulletin-detail", args=[bulletin.pk])
    detail = ok(client.get(response["Location"]))
    groups = {g.unit.name: [e.finding_id for e in g.entries] for g in detail.context["units"]}
    assert groups == {LEAD_UNIT: [mine.pk], OTHER_UNIT: [theirs.pk]}  # a notice; overdue so far this month
    assert "西咸营商督〔2026〕1号" in text_of(detail)

    # January: both findings were overdue at the month's end.
    client.post(reverse("supervision:bulletin-compile"), {"year": "2026", "month": "1"})
    january_bulletin = Bulletin.objects.get(year=2026, month=1)
    assert {e.unit.name for e in january_bulletin.entries.all()} == {LEAD_UNIT, OTHER_UNIT}
    # Compiled again: nothing doubled.
    client.post(reverse("supervision:bulletin-compile"), {"year": "2026", "month": "1"})
    assert january_bulletin.entries.count() == 2

    client.force_login(lead_user)
    months = {b.label: b.entry_count for b in ok(client.get(reverse("supervision:bulletin-list"))).context["bulletins"]}
    assert months == {"2026年2月": 1, "2026年1月": 1}  # of 2 entries each
    units = ok(client.get(reverse("supervision:bulletin-detail", args=[january_bulletin.pk]))).context["units"]
    assert [(g.unit.name, [e.finding_id for e in g.entries]) for g in units] == [(LEAD_UNIT, [mine.pk])]
    client.force_login(outsider)
    page = ok(client.get(reverse("supervision:bulletin-detail", args=[january_bulletin.pk])))
    assert page.context["units"] == [] and "本单位本月未列入通报。" in text_of(page)
    assert theirs.number not in text_of(page) and mine.number not in text_of(page)


def test_bulletin_compile_refuses_a_month_to_come(client, today, office):
    client.force_login(office)
    response = client.post(reverse("supervision:bulletin-compile"), {"year": "2026", "month": "3"}, follow=True)
    assert "不能汇总尚未开始的月份。" in text_of(response)
    response = client.post(reverse("supervision:bulletin-compile"), {"year": "2026", "month": "13"}, follow=True)
    assert "请填写正确的年度和月份" in text_of(response)
    assert not Bulletin.objects.exists()


# --- the messenger robot ----------------------------------------------------------------------


@pytest.fixture
def dns(monkeypatch):
    """Host names resolve from this table, never through DNS."""
    table = {"qyapi.weixin.qq.com": ["101.91.40.181"], "robot.internal.example": ["10.2.3.4"],
             "sneaky.example": ["101.91.40.181", "127.0.0.1"]}

    def resolve(host, port):
        from supervision.services.messenger import WebhookError

        if host in table:
            return table[host]
        if re.fullmatch(r"[\d.]+|[0-9a-f:]+", host):
            return [host]
        raise WebhookError(f"无法解析域名「{host}」。")

    monkeypatch.setattr("supervision.services.messenger._resolve", resolve)
    return table


GOOD_URL = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"


@pytest.mark.parametrize(("url", "error"), [
    ("http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc", "机器人地址必须以 https:// 开头。"),
    ("https://127.0.0.1/hook", "机器人地址指向内网、本机或保留地址（127.0.0.1），不允许使用。"),
    ("https://10.0.0.8/hook", "机器人地址指向内网、本机或保留地址（10.0.0.8），不允许使用。"),
    ("https://robot.internal.example/hook", "机器人地址指向内网、本机或保留地址（10.2.3.4），不允许使用。"),
    ("https://sneaky.example/hook", "机器人地址指向内网、本机或保留地址（127.0.0.1），不允许使用。"),
    ("https://user:secret@qyapi.weixin.qq.com/hook", "机器人地址中不能包含用户名或密码。"),
    ("https://nowhere.invalid/hook", "无法解析域名「nowhere.invalid」。"),
])
def test_messenger_refuses_unsafe_urls_in_chinese_and_saves_nothing(client, office, dns, url, error):
    client.force_login(office)
    response = ok(client.post(reverse("supervision:messenger"), {"url": url, "is_active": "on"}))
    assert error in text_of(response)
    assert response.context["form"].errors["url"] == [error]
    assert not MessengerWebhook.objects.exists()


def test_messenger_saved_switched_off_and_cleared(client, office, dns):
    client.force_login(office)
    assert client.post(reverse("supervision:messenger"), {"url": GOOD_URL, "is_active": "on"}).status_code == 302
    webhook = MessengerWebhook.objects.get()
    assert (webhook.url, webhook.is_active, webhook.updated_by) == (GOOD_URL, True, office)
    page = ok(client.get(reverse("supervision:messenger")))
    assert page.context["form"].initial == {"url": GOOD_URL, "is_active": True} and "已启用" in text_of(page)
    client.post(reverse("supervision:messenger"), {"url": GOOD_URL})
    assert MessengerWebhook.objects.get().is_active is False
    # A refused address leaves the saved one as it was.
    client.post(reverse("supervision:messenger"), {"url": "https://10.0.0.1/x", "is_active": "on"})
    assert MessengerWebhook.objects.get().url == GOOD_URL
    response = client.post(reverse("supervision:messenger"), {"url": ""}, follow=True)
    assert "企业微信机器人已清除。" in text_of(response)
    assert not MessengerWebhook.objects.exists()


# --- navigation and the task page -------------------------------------------------------------


def test_navigation_leads_to_the_findings_and_the_ladder(client, office, lead_user):
    client.force_login(office)
    page = text_of(ok(client.get(reverse("home"))))
    assert f'href="{reverse("supervision:finding-list")}"' in page
    assert f'href="{reverse("supervision:overdue-board")}"' in page
    board = text_of(ok(client.get(reverse("supervision:overdue-board"))))
    assert re.search(r'class="is-active" aria-current="page">督办</a>', board)
    client.force_login(lead_user)
    page = text_of(ok(client.get(reverse("home"))))
    assert f'href="{reverse("supervision:finding-list")}"' in page
    assert f'href="{reverse("supervision:escalation-list")}"' in page
    assert reverse("supervision:overdue-board") not in page


def test_task_page_shows_the_ladder_steps_on_its_reports(client, today, office, lead_user, supporting_user):
    task, = ladder_plan([LEAD_UNIT])
    TaskAssignment.objects.create(task=task, unit=unit(OTHER_UNIT), role=AssignmentRole.SUPPORTING)
    period = january()
    escalation = escalation_send(user=office, item=item_for_report(task=task, unit_id=unit(LEAD_UNIT).pk, period=period),
                                 level=Level.URGE, message="请提交1月进展填报。")
    escalation.reply, escalation.replied_by = "今日提交。", lead_user
    escalation.replied_at = dt.datetime(2026, 2, 13, 10, tzinfo=SHANGHAI)
    escalation.save(update_fields=["reply", "replied_by", "replied_at"])
    link = reverse("supervision:escalation-detail", args=[escalation.pk])
    for user in (office, lead_user):
        client.force_login(user)
        response = ok(client.get(reverse("task-detail", args=[task.pk])))
        whats = [e.what for e in response.context["timeline"]]
        assert "催办：2026年1月进展填报 1.1 → 审批局" in whats or any(w.startswith("催办：2026年1月进展填报 1.1") for w in whats)
        assert any(w.startswith("审批局回复催办") or "回复催办" in w for w in whats)
        assert f'href="{link}"' in text_of(response)
    # The supporting unit sees the task but not what was sent to the lead unit.
    client.force_login(supporting_user)
    response = ok(client.get(reverse("task-detail", args=[task.pk])))
    assert not any("催办" in e.what for e in response.context["timeline"])
