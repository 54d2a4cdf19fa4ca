"""Pages of the Excel round-trip: the permission matrix of every endpoint, the upload → preview
→ confirm flow, each hostile file refused with its message and nothing changed, the
Content-Length guard, and the preview's query budget (the same whatever the number of rows).

On June 2022: lead_user (审批局) leads 1.1, 1.3, 1.4…; supporting_user (沣东新城) leads 2.1
and supports 1.1; outsider (考核办) leads 保障5. The office, inspectors and leaders file
nothing: they may open the page, not download or upload (403). An upload is its owner's (404).
"""

from __future__ import annotations

import zipfile
from io import BytesIO

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from reports.models import RoundtripUpload
from tests.conftest import PERSONAS
from tests.matrix import assert_login_redirect, signed_in
from tests.test_pages_filing import at
from tests.test_reports_roundtrip_services import (  # noqa: F401
    COMPLETE,
    fill,
    june,
    snapshot,
    template_of,
    upload,
)

pytestmark = pytest.mark.django_db

READ_ONLY = ("office", "inspector", "leader")
UNITS = ("lead_user", "supporting_user", "outsider")
GET_MATRIX = {
    "page": dict.fromkeys(PERSONAS, 200),
    "template": {**dict.fromkeys(READ_ONLY, 403), **dict.fromkeys(UNITS, 200)},
    "preview": {**dict.fromkeys(PERSONAS, 404), "lead_user": 200},  # lead_user's upload
}
POST_MATRIX = {
    # lead_user's filled template: saved for preview (302) by its unit, refused on the page
    # (200, another unit's template) for the other units, 403 for those who file nothing.
    "upload": {**dict.fromkeys(READ_ONLY, 403), "lead_user": 302, "supporting_user": 200, "outsider": 200},
    "confirm": {**dict.fromkeys(PERSONAS, 404), "lead_user": 302},
}


@pytest.fixture(autouse=True)
def early_july():
    with time_machine.travel(at(2022, 7, 4, 10), tick=False):
        yield


@pytest.fixture
def anonymous():
    return None


@pytest.fixture
def filled_template(lead_user, june):  # noqa: F811
    return fill(template_of(lead_user, june), {"1.1": COMPLETE, "1.3": {**COMPLETE, "progress": 55}})


@pytest.fixture
def urls(lead_user, june, filled_template) -> dict[str, str]:  # noqa: F811
    stored = upload(lead_user, june, filled_template)
    return {
        "page": reverse("roundtrip"),
        "template": reverse("roundtrip-template", args=[june.pk]),
        "preview": reverse("roundtrip-preview", args=[stored.pk]),
        "upload": reverse("roundtrip-upload", args=[june.pk]),
        "confirm": reverse("roundtrip-confirm", args=[stored.pk]),
    }


def xlsx(content: bytes, name: str = "进展填报.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


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
def test_post_matrix(client, urls, page, persona, request, filled_template):
    name = request.node.callspec.params["persona"]
    data = {"file": xlsx(filled_template)} if page == "upload" else {"action": "draft"}
    before = snapshot()
    response = signed_in(client, persona).post(urls[page], data)
    if persona is None:
        assert_login_redirect(response, urls[page])
    else:
        assert response.status_code == POST_MATRIX[page][name], (page, name)
    if name != "lead_user":
        assert snapshot() == before


def test_template_download(client, lead_user, june):  # noqa: F811
    response = signed_in(client, lead_user).get(reverse("roundtrip-template", args=[june.pk]))
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert f"progress-template-{june.pk}.xlsx" in response["Content-Disposition"]
    assert "filename*=UTF-8''%E8%BF%9B%E5%B1%95%E5%A1%AB%E6%8A%A5%E6%A8%A1%E6%9D%BF_" in response["Content-Disposition"]
    assert response.content.startswith(b"PK\x03\x04")


def test_page_for_the_unit_and_for_the_office(client, lead_user, office, june):  # noqa: F811
    page = signed_in(client, lead_user).get(reverse("roundtrip")).content.decode()
    assert "下载2022年6月进展填报模板" in page and 'enctype="multipart/form-data"' in page
    office_page = signed_in(Client(), office).get(reverse("roundtrip")).content.decode()
    assert "不能下载或上传模板" in office_page and "上传并检查" not in office_page


def test_inbox_links_to_the_round_trip(client, lead_user, june):  # noqa: F811
    page = signed_in(client, lead_user).get(reverse("reporting-inbox")).content.decode()
    assert f'href="{reverse("roundtrip")}?period={june.pk}"' in page


def test_upload_preview_confirm(client, lead_user, june, filled_template):  # noqa: F811
    signed_in(client, lead_user)
    response = client.post(reverse("roundtrip-upload", args=[june.pk]), {"file": xlsx(filled_template)})
    stored = RoundtripUpload.objects.get(owner=lead_user, pk__gt=0, status="preview", filename="进展填报.xlsx")
    assert response["Location"] == reverse("roundtrip-preview", args=[stored.pk])
    preview = client.get(response["Location"]).content.decode()
    assert "将要保存的任务" in preview and "直接提交" in preview and "保存为草稿" in preview
    response = client.post(reverse("roundtrip-confirm", args=[stored.pk]), {"action": "submit"}, follow=True)
    page = response.content.decode()
    assert "已提交 2 项任务的进展，等待新区营商办审核。" in page
    assert f'href="{reverse("reporting-inbox")}?period={june.pk}"' in page and "直接提交</button>" not in page
    assert set(june.reports.values_list("task__code", "status")) == {("1.1", "submitted"), ("1.3", "submitted")}


def test_preview_shows_errors_by_row_and_column(client, lead_user, june):  # noqa: F811
    content = fill(template_of(lead_user, june), {"1.1": COMPLETE, "1.3": {**COMPLETE, "progress": 150}})
    response = signed_in(client, lead_user).post(reverse("roundtrip-upload", args=[june.pk]), {"file": xlsx(content)}, follow=True)
    page = response.content.decode()
    assert "<td class=\"num\">第 5 行</td><td>完成进度</td><td>应为 0–100 的整数</td>" in page
    assert "保存为草稿</button>" not in page and "重新上传" in page


def test_a_failed_confirmation_says_why(client, lead_user, office, june, filled_template):  # noqa: F811
    from tasks.services import dispatch

    stored = upload(lead_user, june, filled_template)
    dispatch.period_close(period=june, user=office)
    before = snapshot()
    response = signed_in(client, lead_user).post(reverse("roundtrip-confirm", args=[stored.pk]), {"action": "draft"}, follow=True)
    assert "没有保存：第 4 行（任务 1.1）：2022年6月填报期已关闭。" in response.content.decode()
    assert snapshot() == before


def test_confirm_without_a_choice(client, lead_user, june, filled_template):  # noqa: F811
    stored = upload(lead_user, june, filled_template)
    response = signed_in(client, lead_user).post(reverse("roundtrip-confirm", args=[stored.pk]), {"action": "x"}, follow=True)
    assert "没有保存：请选择保存为草稿或直接提交。" in response.content.decode()
    assert not june.reports.exists()


# --- hostile and broken files: refused with a message, nothing changed --------------------------------


def _zip(entries: dict[str, bytes]) -> bytes:
    stream = BytesIO()
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return stream.getvalue()


def _plus(content: bytes, extra: dict[str, bytes]) -> bytes:
    with zipfile.ZipFile(BytesIO(content)) as archive:
        return _zip({**{i.filename: archive.read(i) for i in archive.infolist()}, **extra})


HOSTILE = {
    "pdf": (lambda t: b"%PDF-1.4\n%%EOF\n", "文件不是 Excel 工作簿（.xlsx），可能是其他文件改了扩展名"),
    "png": (lambda t: b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, "文件不是 Excel 工作簿（.xlsx），可能是其他文件改了扩展名"),
    "text": (lambda t: "1.1,完成\n".encode(), "文件不是 Excel 工作簿（.xlsx），可能是其他文件改了扩展名"),
    "xls": (lambda t: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504, "请在 Excel 中取消密码并「另存为」.xlsx 后再上传"),
    "zip bomb": (lambda t: _plus(t, {"xl/media/a.bin": b"\x00" * (21 * 1024 * 1024)}), "可能是压缩炸弹"),
    "ratio bomb": (lambda t: _plus(t, {"xl/media/a.bin": b"\x00" * (2 * 1024 * 1024)}), "文件的压缩比异常"),
    "formula": (lambda t: fill(t, {"1.1": {**COMPLETE, "completed": "=1+1"}}), "含有公式，请只填写文字或数字"),
    "broken workbook": (lambda t: _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}),
                         "文件已损坏或不是 Excel 工作簿"),
}


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_hostile_files_change_nothing(client, lead_user, june, kind):  # noqa: F811
    make, message = HOSTILE[kind]
    before, uploads = snapshot(), RoundtripUpload.objects.count()
    response = signed_in(client, lead_user).post(
        reverse("roundtrip-upload", args=[june.pk]), {"file": xlsx(make(template_of(lead_user, june)))}, follow=True,
    )
    assert response.status_code == 200 and message in response.content.decode()
    assert snapshot() == before
    # A file refused whole leaves no upload; a formula is a problem of a cell, kept for the preview.
    assert RoundtripUpload.objects.count() == uploads + (1 if kind == "formula" else 0)
    assert not RoundtripUpload.objects.filter(status="preview").exists()


def test_another_units_template_on_the_page(client, supporting_user, june, filled_template):  # noqa: F811
    response = signed_in(client, supporting_user).post(reverse("roundtrip-upload", args=[june.pk]), {"file": xlsx(filled_template)})
    assert "这是其他单位的模板，不能上传。请下载本单位的模板。" in response.content.decode()
    assert not RoundtripUpload.objects.exists()


def test_oversized_file_by_its_size(client, lead_user, june, settings):  # noqa: F811
    settings.ROUNDTRIP_MAX_BYTES = 1024
    response = signed_in(client, lead_user).post(reverse("roundtrip-upload", args=[june.pk]), {"file": xlsx(b"PK\x03\x04" + b"0" * 2000)})
    assert "文件过大" in response.content.decode() and not RoundtripUpload.objects.exists()


def test_oversized_body_is_refused_before_it_is_read(client, lead_user, june, settings):  # noqa: F811
    settings.ROUNDTRIP_MAX_BYTES = 1024
    body = b"x" * (200 * 1024)
    response = signed_in(client, lead_user).generic(
        "POST", reverse("roundtrip-upload", args=[june.pk]), body, content_type="multipart/form-data; boundary=zz",
    )
    assert response.status_code == 413 and "文件过大（0.2 MB），上限为 0.0 MB。" in response.content.decode()
    assert not RoundtripUpload.objects.exists()


def test_upload_needs_the_csrf_token(lead_user, june, filled_template):  # noqa: F811
    client = signed_in(Client(enforce_csrf_checks=True), lead_user)
    response = client.post(reverse("roundtrip-upload", args=[june.pk]), {"file": xlsx(filled_template)})
    assert response.status_code == 403 and not RoundtripUpload.objects.exists()


# --- query budget ------------------------------------------------------------------------------------------

# session, user + unit, the upload with its period and unit, unread notifications (top bar)
PREVIEW_QUERIES = 4


@pytest.mark.parametrize("codes", [["1.1"], ["1.1", "1.3", "1.4", "5.3", "6.3", "7.1", "7.2", "10.1"]])
def test_preview_budget_is_constant_in_rows(client, lead_user, june, codes, django_assert_num_queries):  # noqa: F811
    stored = upload(lead_user, june, fill(template_of(lead_user, june), dict.fromkeys(codes, COMPLETE)))
    assert len(stored.rows) == len(codes)
    signed_in(client, lead_user)
    with django_assert_num_queries(PREVIEW_QUERIES):
        response = client.get(reverse("roundtrip-preview", args=[stored.pk]))
    assert response.status_code == 200
