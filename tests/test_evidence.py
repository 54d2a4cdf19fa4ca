"""佐证材料: the type is checked by content, not by name; limits on size and count; a batch is
saved whole or not at all — rows and stored files alike."""

import zipfile
from io import BytesIO
from pathlib import Path

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from docx import Document

from tasks.evidence import EvidenceError, evidence_check
from tasks.models import Evidence, ProgressReport
from tasks.services.dispatch import (
    DispatchError,
    ReportInput,
    annual_plan_save,
    evidence_delete,
    filing_discard,
    filing_submit,
    period_close,
    period_open,
    report_save,
)
from tests.factories import UserFactory

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"


def docx_bytes() -> bytes:
    document = Document()
    document.add_paragraph("2020年10月 审批时限压缩情况")
    buffer = BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def xlsx_bytes() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.append(["任务", "完成进度"])
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def zip_bytes(names: list[str]) -> bytes:
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "x")
    return buffer.getvalue()


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


# --- evidence_check: by content ------------------------------------------------------------------


@pytest.mark.parametrize(("name", "content", "extension", "content_type"), [
    ("审批清单.pdf", PDF, ".pdf", "application/pdf"),
    ("现场.png", PNG, ".png", "image/png"),
    ("现场.jpg", JPEG, ".jpg", "image/jpeg"),
    ("现场.JPEG", JPEG, ".jpeg", "image/jpeg"),
    ("旧版通知.doc", OLE2, ".doc", "application/msword"),
    ("旧版台账.xls", OLE2, ".xls", "application/vnd.ms-excel"),
    ("情况说明.docx", docx_bytes(), ".docx",
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("工作台账.xlsx", xlsx_bytes(), ".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
])
def test_accepted_types(name, content, extension, content_type):
    checked = evidence_check(filename=name, head=content[:16], content=content)
    assert (checked.extension, checked.content_type) == (extension, content_type)


@pytest.mark.parametrize(("name", "content", "message"), [
    ("截图.pdf", PNG, "内容与扩展名 .pdf 不符"),
    ("照片.png", JPEG, "内容与扩展名 .png 不符"),
    ("说明.doc", PDF, "内容与扩展名 .doc 不符"),
    ("setup.exe", EXE, "类型不允许"),
    ("setup.pdf", EXE, "不符"),
    ("无扩展名", PDF, "类型不允许"),
    ("脚本.docm", docx_bytes(), "类型不允许"),
    ("压缩包.docx", zip_bytes(["readme.txt", "xl/workbook.xml"]), "内容与扩展名 .docx 不符"),
    ("文档.xlsx", docx_bytes(), "内容与扩展名 .xlsx 不符"),
    ("坏文件.docx", b"PK\x03\x04 not really a zip", "不符"),
    ("空文件.pdf", b"", "不符"),
])
def test_refused_types(name, content, message):
    with pytest.raises(EvidenceError, match=message):
        evidence_check(filename=name, head=content[:16], content=content)


def test_a_zip_container_needs_the_whole_content():
    content = docx_bytes()
    with pytest.raises(EvidenceError):
        evidence_check(filename="情况说明.docx", head=content[:16])


# --- evidence with a report ---------------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def period(db):
    return period_open(year=2020, month=10)


def save(user, task, period, files, completed="已完成并联审批改造。") -> ProgressReport:
    return report_save(user=user, task=task, period=period, data=ReportInput(completed=completed), files=files)


def test_files_are_stored_with_a_name_of_their_own(media, lead_user, task_1_1, period):
    xlsx = xlsx_bytes()  # a new workbook each call: its timestamps change its bytes
    report = save(lead_user, task_1_1, period, [upload("../../审批清单.pdf", PDF), upload("台账.xlsx", xlsx)])
    rows = list(Evidence.objects.filter(report=report).order_by("id"))
    assert [(e.original_name, e.extension, e.size, e.uploaded_by) for e in rows] == [
        ("审批清单.pdf", ".pdf", len(PDF), lead_user), ("台账.xlsx", ".xlsx", len(xlsx), lead_user),
    ]
    pdf = rows[0]
    assert pdf.content_type == "application/pdf" and len(pdf.sha256) == 64
    assert pdf.file.name == f"evidence/{pdf.sha256[:2]}/{pdf.sha256}.pdf"
    assert (media / pdf.file.name).read_bytes() == PDF
    assert len(stored_files(media)) == 2


def test_a_file_a_form_has_read_already_is_read_again(media, lead_user, task_1_1, period):
    pdf = upload("审批清单.pdf", PDF)
    pdf.read()
    save(lead_user, task_1_1, period, [pdf])
    assert Evidence.objects.get().size == len(PDF)


def test_the_same_file_twice_is_stored_twice(media, lead_user, task_1_1, period):
    save(lead_user, task_1_1, period, [upload("a.pdf", PDF)])
    save(lead_user, task_1_1, period, [upload("b.pdf", PDF)])
    first, second = Evidence.objects.order_by("id")
    assert first.sha256 == second.sha256 and first.file.name != second.file.name
    assert len(stored_files(media)) == 2


def test_an_oversized_file_is_refused(settings, media, lead_user, task_1_1, period):
    settings.EVIDENCE_MAX_BYTES = 2048
    with pytest.raises(DispatchError, match="超过 2 KB") as caught:
        save(lead_user, task_1_1, period, [upload("大文件.pdf", PDF + b"0" * 2048)])
    assert caught.value.fields == {"files": "单个文件不能超过 2 KB。"}
    assert not Evidence.objects.exists() and not stored_files(media)
    save(lead_user, task_1_1, period, [upload("刚好.pdf", PDF.ljust(2048, b" "))])
    assert Evidence.objects.count() == 1


def test_the_default_size_limit_reads_in_megabytes(settings, media, lead_user, task_1_1, period):
    big = upload("大文件.pdf", PDF)
    big.size = settings.EVIDENCE_MAX_BYTES + 1  # no need to hold 20 MB in memory
    with pytest.raises(DispatchError, match="超过 20 MB"):
        save(lead_user, task_1_1, period, [big])


def test_too_many_files_are_refused(settings, media, lead_user, task_1_1, period):
    settings.EVIDENCE_MAX_FILES = 2
    save(lead_user, task_1_1, period, [upload("1.pdf", PDF)])
    with pytest.raises(DispatchError, match="最多 2 个") as caught:
        save(lead_user, task_1_1, period, [upload("2.pdf", PDF), upload("3.png", PNG)])
    assert caught.value.fields == {"files": "文件太多。"}
    assert Evidence.objects.count() == 1 and len(stored_files(media)) == 1
    save(lead_user, task_1_1, period, [upload("2.pdf", PDF)])
    assert Evidence.objects.count() == 2


@pytest.mark.parametrize("bad", [
    upload("截图.pdf", PNG), upload("setup.exe", EXE), upload("压缩包.docx", zip_bytes(["readme.txt"])),
])
def test_one_bad_file_saves_nothing_of_the_batch(media, lead_user, task_1_1, period, bad):
    good = [upload("审批清单.pdf", PDF), upload("现场.jpg", JPEG)]
    with pytest.raises(DispatchError) as caught:
        save(lead_user, task_1_1, period, [*good, bad])
    assert bad.name in str(caught.value) and "files" in caught.value.fields
    # The whole report_save rolled back: no report, no evidence rows, no stored files.
    assert not ProgressReport.objects.exists()
    assert not Evidence.objects.exists()
    assert not stored_files(media)


def test_one_bad_file_leaves_an_existing_draft_as_it_was(media, lead_user, task_1_1, period):
    report = save(lead_user, task_1_1, period, [upload("审批清单.pdf", PDF)], completed="旧的内容")
    with pytest.raises(DispatchError):
        save(lead_user, task_1_1, period, [upload("现场.png", PNG), upload("截图.pdf", PNG)], completed="新的内容")
    assert ProgressReport.objects.get(pk=report.pk).completed == "旧的内容"
    assert list(Evidence.objects.values_list("original_name", flat=True)) == ["审批清单.pdf"]
    assert len(stored_files(media)) == 1


def test_a_locked_report_takes_no_files(media, lead_user, task_1_1, period):
    report = report_save(user=lead_user, task=task_1_1, period=period,
                         data=ReportInput(completed="一", next_plan="二", progress=10))
    filing_submit(user=lead_user, filing=report)
    with pytest.raises(DispatchError, match="不能修改"):
        save(lead_user, task_1_1, period, [upload("补充.pdf", PDF)])
    assert not Evidence.objects.exists() and not stored_files(media)


def test_annual_plan_evidence(media, lead_user, task_1_1):
    plan = annual_plan_save(user=lead_user, task=task_1_1, year=2021, content="方案",
                            files=[upload("工作台账.xlsx", xlsx_bytes()), upload("方案.docx", docx_bytes())])
    assert sorted(plan.evidence.values_list("extension", flat=True)) == [".docx", ".xlsx"]
    assert Evidence.objects.filter(report__isnull=True).count() == 2
    with pytest.raises(DispatchError):
        annual_plan_save(user=lead_user, task=task_1_1, year=2021, content="方案", files=[upload("x.pdf", PNG)])
    assert plan.evidence.count() == 2 and len(stored_files(media)) == 2


# --- deleting evidence ---------------------------------------------------------------------------------


def test_evidence_of_a_draft_may_be_deleted_and_its_file_goes(
    media, lead_user, task_1_1, period, django_capture_on_commit_callbacks,
):
    report = save(lead_user, task_1_1, period, [upload("审批清单.pdf", PDF), upload("现场.png", PNG)])
    pdf = Evidence.objects.get(report=report, extension=".pdf")
    with django_capture_on_commit_callbacks(execute=True):
        evidence_delete(user=lead_user, evidence=pdf)
    assert list(report.evidence.values_list("original_name", flat=True)) == ["现场.png"]
    assert [p.suffix for p in stored_files(media)] == [".png"]


def test_a_file_shared_by_another_row_is_kept(media, lead_user, task_1_1, period, django_capture_on_commit_callbacks):
    save(lead_user, task_1_1, period, [upload("a.pdf", PDF), upload("b.pdf", PDF)])
    first, second = Evidence.objects.order_by("id")
    Evidence.objects.filter(pk=second.pk).update(file=first.file.name)  # as an import might write it
    with django_capture_on_commit_callbacks(execute=True):
        evidence_delete(user=lead_user, evidence=first)
    assert (media / first.file.name).exists()


def test_evidence_of_a_submitted_report_cannot_be_deleted(media, lead_user, task_1_1, period):
    report = report_save(user=lead_user, task=task_1_1, period=period,
                         data=ReportInput(completed="一", next_plan="二", progress=10), files=[upload("a.pdf", PDF)])
    filing_submit(user=lead_user, filing=report)
    with pytest.raises(DispatchError, match="已提交的填报不能删除佐证材料"):
        evidence_delete(user=lead_user, evidence=report.evidence.get())
    assert Evidence.objects.count() == 1


def test_evidence_of_a_closed_period_cannot_be_deleted(media, lead_user, office, task_1_1, period):
    report = save(lead_user, task_1_1, period, [upload("a.pdf", PDF)])
    period_close(period=period, user=office)
    with pytest.raises(DispatchError, match="已关闭"):
        evidence_delete(user=lead_user, evidence=report.evidence.get())
    assert Evidence.objects.count() == 1


def test_evidence_of_another_units_draft_is_not_found(media, lead_user, supporting_user, office, task_1_1, period):
    report = save(lead_user, task_1_1, period, [upload("a.pdf", PDF)])
    for other in (supporting_user, office):
        with pytest.raises(Http404):
            evidence_delete(user=other, evidence=report.evidence.get())
    colleague = UserFactory.in_unit("新区行政审批与政务服务局")
    evidence_delete(user=colleague, evidence=report.evidence.get())
    assert not Evidence.objects.exists()


def test_evidence_of_a_visible_returned_report_is_not_anothers_to_delete(
    media, lead_user, supporting_user, office, task_1_1, period,
):
    from tasks.services.dispatch import filing_review

    report = report_save(user=lead_user, task=task_1_1, period=period,
                         data=ReportInput(completed="一", next_plan="二", progress=10), files=[upload("a.pdf", PDF)])
    filing_review(user=office, filing=filing_submit(user=lead_user, filing=report), action="return", comment="补充")
    with pytest.raises(PermissionDenied):
        evidence_delete(user=supporting_user, evidence=report.evidence.get())


def test_discarding_a_draft_removes_its_files(media, lead_user, task_1_1, period, django_capture_on_commit_callbacks):
    report = save(lead_user, task_1_1, period, [upload("a.pdf", PDF), upload("b.png", PNG)])
    with django_capture_on_commit_callbacks(execute=True):
        filing_discard(user=lead_user, filing=report)
    assert not Evidence.objects.exists() and not stored_files(media)
