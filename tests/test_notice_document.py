"""督办通知单 as a document (supervision/notice.py): what it says for each kind of item, and the
Word file — A4 with 20 mm margins, the content as text whatever the user typed."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import docx
import pytest

from supervision.choices import ItemKind, Level
from supervision.models import Escalation
from supervision.notice import notice_document, notice_docx
from supervision.services import escalation_send
from supervision.services.ladder import item_for_report
from tests.test_pages_supervision_ladder import (  # noqa: F401  (fixture)
    LEAD_UNIT,
    a_finding,
    january,
    ladder_plan,
    notice,
    today,
    unit,
)

# Friday 2026-02-13, 09:00 (see test_pages_supervision_ladder.py).
pytestmark = pytest.mark.usefixtures("today")


def opened(content: bytes) -> docx.document.Document:
    return docx.Document(io.BytesIO(content))


def all_text(document) -> str:
    paragraphs = [p.text for p in document.paragraphs]
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join(paragraphs + cells)


def test_a_finding_notice_says_who_what_since_when_and_by_when(office, inspector):
    finding = a_finding(inspector, description="政务大厅未公示办事指南。")
    escalation = Escalation.objects.select_related("unit", "finding", "created_by").get(
        pk=notice(office, finding, action="三日内完成公示。", new_due=dt.date(2026, 2, 27)).pk)
    document = notice_document(escalation)
    assert document.code == "西咸营商督〔2026〕1号"
    assert document.filename == "督办单-西咸营商督〔2026〕1号.docx"
    rows = dict(document.rows)
    assert rows["督办单位"] == LEAD_UNIT
    assert rows["督办事项"] == f"督查问题 {finding.number}\n政务大厅未公示办事指南。"
    assert rows["原截止日期"] == "2026年1月27日"
    assert rows["逾期工作日"] == "截至签发之日已逾期 13 个工作日（自2026年1月28日起）"
    assert rows["督办要求"] == "三日内完成公示。"
    assert rows["限期办结日期"] == "2026年2月27日"
    assert (document.issuer, document.issued_on_text) == (office.full_name, "2026年2月13日")


def test_a_report_notice_names_the_task_and_an_automatic_one_is_signed_by_the_system(office):
    task, = ladder_plan([LEAD_UNIT])
    period = january()
    item = item_for_report(task=task, unit_id=unit(LEAD_UNIT).pk, period=period)
    escalation = escalation_send(user=office, item=item, level=Level.NOTICE, message="1月进展逾期未报。",
                                 required_action="立即补报。", new_due_date=dt.date(2026, 2, 27))
    escalation.created_by = None  # as the daily scan records it
    document = notice_document(escalation)
    assert escalation.item_kind == ItemKind.REPORT
    assert dict(document.rows)["督办事项"] == "2026年1月进展填报 1.1\n1.1 测试任务1：测试任务1的内容。"
    assert document.issuer == "系统"


def test_the_word_file_is_a4_with_every_field(office, inspector):
    escalation = notice(office, a_finding(inspector), action="立即整改。", new_due=dt.date(2026, 3, 6))
    document = opened(notice_docx(notice_document(escalation)))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert {round(m.mm) for m in (section.left_margin, section.right_margin, section.top_margin,
                                  section.bottom_margin)} == {20}
    text = all_text(document)
    for expected in ("督办通知单", "西咸营商督〔2026〕1号", f"{LEAD_UNIT}：", "督办单位", "督办事项", "原截止日期",
                     "逾期工作日", "督办要求", "限期办结日期", "2026年3月6日", "立即整改。", "签发：", "2026年2月13日"):
        assert expected in text, expected
    labels = [row.cells[0].text for row in document.tables[0].rows]
    assert labels == ["督办单位", "督办事项", "督办事由", "原截止日期", "逾期工作日", "督办要求", "限期办结日期"]


@pytest.mark.parametrize("typed", [
    '<w:p><w:r><w:t>伪造</w:t></w:r></w:p>',
    "A & B < C > D \"quoted\" 'single'",
    "{{ notice.code }} {% if %}",
])
def test_what_users_typed_goes_in_as_text(office, inspector, typed):
    escalation = notice(office, a_finding(inspector, description=typed), action=typed, message=typed)
    content = notice_docx(notice_document(escalation))
    document = opened(content)
    cells = [row.cells[1].text for row in document.tables[0].rows]
    assert typed in cells[1] and cells[2] == typed and cells[5] == typed
    assert len(document.tables[0].rows) == 7  # no row or paragraph smuggled in
    xml = zipfile.ZipFile(io.BytesIO(content)).read("word/document.xml").decode()
    assert "<w:t>伪造</w:t></w:r></w:p>" not in xml.replace("&lt;", "")  # escaped, not markup


def test_control_characters_are_dropped_and_line_breaks_kept(office, inspector):
    escalation = notice(office, a_finding(inspector), action="第一项\x01\x07\x1b整改\r\n第二项\t公示")
    document = opened(notice_docx(notice_document(escalation)))
    action = document.tables[0].rows[5].cells[1]
    assert action.text == "第一项整改\n第二项\t公示"
