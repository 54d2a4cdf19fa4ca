"""方案导入 in the portal: office only, checked upload, confirmation, progress, result."""

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tasks.choices import ImportStatus
from tasks.models import ActionPlan, PlanImportRun
from tests.conftest import PERSONAS

SEED = settings.SEED_PLAN_PATH.read_text(encoding="utf-8")
NEXT_PLAN = SEED.replace("（2020年—2022年》", "（2023年—2025年》")
NOT_OFFICE = [p for p in PERSONAS if p != "office"]


def txt(text: str, name: str = "方案.txt", encoding: str = "utf-8") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/plain")


@pytest.fixture
def as_office(client, office):
    client.force_login(office)
    return client


@pytest.fixture
def preview_run(office) -> PlanImportRun:
    return PlanImportRun.objects.create(filename="next.txt", text=NEXT_PLAN, created_by=office)


@pytest.mark.parametrize("persona", NOT_OFFICE, indirect=True)
def test_only_the_office_may_import(client, persona, preview_run):
    client.force_login(persona)
    assert client.get(reverse("plan-import")).status_code == 403
    assert client.post(reverse("plan-import"), {"file": txt(NEXT_PLAN)}).status_code == 403
    assert client.get(reverse("plan-import-run", args=[preview_run.pk])).status_code == 403
    assert client.post(reverse("plan-import-run", args=[preview_run.pk])).status_code == 403
    preview_run.refresh_from_db()
    assert preview_run.status == ImportStatus.PREVIEW and not PlanImportRun.objects.exclude(pk=preview_run.pk)


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("plan-import"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_upload_preview_confirm_and_result(as_office, django_capture_on_commit_callbacks):
    response = as_office.post(reverse("plan-import"), {"file": txt(NEXT_PLAN)})
    run = PlanImportRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("plan-import-run", args=[run.pk])
    page = as_office.get(response["Location"]).content.decode()
    assert "确认导入" in page and "继承「新区」前缀" in page and "57 项任务" in page
    assert not ActionPlan.objects.filter(start_year=2023).exists()
    # Confirming queues the job on commit; in tests jobs run in-process.
    with django_capture_on_commit_callbacks(execute=True):
        response = as_office.post(reverse("plan-import-run", args=[run.pk]))
    run.refresh_from_db()
    assert run.status == ImportStatus.SUCCEEDED
    page = as_office.get(response["Location"]).content.decode()
    assert "导入完成" in page and "hx-trigger" not in page
    assert ActionPlan.objects.filter(start_year=2023).exists()


def test_progress_block_polls_while_queued(as_office, preview_run):
    PlanImportRun.objects.filter(pk=preview_run.pk).update(status=ImportStatus.PENDING)
    response = as_office.get(reverse("plan-import-run", args=[preview_run.pk]), headers={"HX-Request": "true"})
    fragment = response.content.decode()
    assert 'hx-trigger="every 2s"' in fragment and "<html" not in fragment and "已排队" in fragment


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (txt(NEXT_PLAN, encoding="gbk"), "UTF-8"),
        (txt(NEXT_PLAN, name="方案.docx"), "不是 Word 文档"),
        (txt("随便写的一段话。"), "方案标题"),
        (SimpleUploadedFile("big.txt", b"x" * (settings.PLAN_UPLOAD_MAX_BYTES + 1)), "文件过大"),
    ],
)
def test_bad_files_are_explained_and_nothing_is_kept(as_office, upload, message):
    response = as_office.post(reverse("plan-import"), {"file": upload})
    assert response.status_code == 200 and message in response.content.decode()
    assert not PlanImportRun.objects.exists()


def test_unknown_unit_is_listed_with_its_place(as_office):
    response = as_office.post(reverse("plan-import"), {"file": txt(NEXT_PLAN.replace("新区农业农村局；", "新区水务局；"))})
    page = response.content.decode()
    assert response.status_code == 200 and "新区水务局" in page and "第 20 行" in page
    assert not PlanImportRun.objects.exists()


def test_missing_file_is_required(as_office):
    response = as_office.post(reverse("plan-import"), {})
    assert response.status_code == 200 and "请选择要上传的方案文件" in response.content.decode()


def test_import_list_budget(as_office, preview_run, django_assert_num_queries):
    # session, user + unit, unread notifications count (top bar), the last runs with their
    # author and plan (one join)
    with django_assert_num_queries(4):
        assert as_office.get(reverse("plan-import")).status_code == 200
