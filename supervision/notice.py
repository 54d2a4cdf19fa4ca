"""督办通知单: the formal, numbered supervision notice as the office prints and files it — one
layout shared by the printable A4 page and the .docx download.

Everything a user typed (the 督办事由, 督办要求, a finding's description) goes into the document
as text: the page escapes it, the .docx writes it into runs (never as markup), with characters
that XML cannot hold dropped.
"""

from __future__ import annotations

import datetime
import io
import re
from dataclasses import dataclass

from django.utils import timezone
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from supervision.choices import ItemKind
from supervision.models import Escalation

ISSUER_ORGANISATION = "西咸新区优化营商环境推进重大项目建设工作领导小组办公室"
FONT = "仿宋"  # 仿宋_GB2312 is not on every machine; 仿宋 is, and Word substitutes alike
TITLE_FONT = "宋体"
DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# Characters XML 1.0 cannot hold (C0 controls other than tab, newline and carriage return).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def chinese_date(date: datetime.date) -> str:
    return f"{date.year}年{date.month}月{date.day}日"


@dataclass(frozen=True)
class NoticeDocument:
    """The notice's content, in the order it is printed."""

    code: str
    unit: str
    item: str
    item_detail: str
    reason: str
    due_date: datetime.date
    overdue: str
    required_action: str
    new_due_date: datetime.date
    issuer: str
    issued_on: datetime.date

    @property
    def rows(self) -> list[tuple[str, str]]:
        """The table of the notice: label, value."""
        return [
            ("督办单位", self.unit),
            ("督办事项", f"{self.item}\n{self.item_detail}".strip()),
            ("督办事由", self.reason),
            ("原截止日期", chinese_date(self.due_date)),
            ("逾期工作日", self.overdue),
            ("督办要求", self.required_action),
            ("限期办结日期", chinese_date(self.new_due_date)),
        ]

    @property
    def organisation(self) -> str:
        return ISSUER_ORGANISATION

    @property
    def issued_on_text(self) -> str:
        return chinese_date(self.issued_on)

    @property
    def filename(self) -> str:
        return f"督办单-{self.code}.docx"


def notice_document(escalation: Escalation) -> NoticeDocument:
    """The notice of a 督办单 step (unit, finding, task, period and created_by selected)."""
    issued_on = timezone.localtime(escalation.created_at).date()
    if escalation.item_kind == ItemKind.FINDING:
        detail = escalation.finding.description
    else:
        detail = f"{escalation.task.code} {escalation.task.title}：{escalation.task.text}"
    since = escalation.due_date + datetime.timedelta(days=1)
    overdue = (f"截至签发之日已逾期 {escalation.overdue_days} 个工作日（自{chinese_date(since)}起）"
               if escalation.overdue_days > 0 else "签发时尚未逾期")
    issuer = (escalation.created_by.full_name or escalation.created_by.username) if escalation.created_by else "系统"
    return NoticeDocument(
        code=escalation.notice_code, unit=escalation.unit.name, item=escalation.item_label, item_detail=detail,
        reason=escalation.message, due_date=escalation.due_date, overdue=overdue,
        required_action=escalation.required_action, new_due_date=escalation.new_due_date,
        issuer=issuer, issued_on=issued_on,
    )


# --- .docx -----------------------------------------------------------------------------------


def notice_docx(notice: NoticeDocument) -> bytes:
    """The notice as a Word document on A4 with 20 mm margins."""
    document = Document()
    _page_setup(document)
    _paragraph(document, "督办通知单", size=22, bold=True, font=TITLE_FONT, align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph(document, notice.code, size=14, align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph(document, f"{notice.unit}：", size=14)
    _paragraph(document, "经督查，下列事项未按期办结，现予督办。请按督办要求抓紧办理，并于限期办结日期前书面反馈办理情况。",
               size=14, first_line_indent=True)
    table = document.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for label, value in notice.rows:
        cells = table.add_row().cells
        cells[0].width, cells[1].width = Mm(35), Mm(135)
        _cell(cells[0], label, bold=True)
        _cell(cells[1], value)
    _paragraph(document, "")
    _paragraph(document, f"签发：{notice.issuer}", size=14, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _paragraph(document, notice.organisation, size=14, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _paragraph(document, notice.issued_on_text, size=14, align=WD_ALIGN_PARAGRAPH.RIGHT)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _page_setup(document) -> None:
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = section.top_margin = section.bottom_margin = Mm(20)


def _text(value: str) -> str:
    return _NOT_XML.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def _run(paragraph, text: str, *, size: float = 12, bold: bool = False, font: str = FONT):
    # run.text turns "\n" into a line break and "\t" into a tab; nothing else is interpreted.
    run = paragraph.add_run(_text(text))
    run.bold, run.font.size, run.font.name = bold, Pt(size), font
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)
    return run


def _paragraph(document, text: str, *, size: float = 12, bold: bool = False, font: str = FONT,
               align=None, first_line_indent: bool = False):
    paragraph = document.add_paragraph()
    if align is not None:
        paragraph.alignment = align
    if first_line_indent:
        paragraph.paragraph_format.first_line_indent = Pt(size * 2)
    _run(paragraph, text, size=size, bold=bold, font=font)
    return paragraph


def _cell(cell, text: str, *, bold: bool = False) -> None:
    _run(cell.paragraphs[0], text, size=12, bold=bold)
