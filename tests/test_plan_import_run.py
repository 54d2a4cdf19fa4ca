"""Import of an uploaded plan as a background job (方案导入)."""

import time

import pytest
from django.conf import settings

from tasks.choices import ImportStatus
from tasks.models import ActionPlan, PlanImportRun, Task, UnitAlias
from tasks.plan_text import PlanTextError
from tasks.services import (
    PlanImportError,
    plan_import_run_confirm,
    plan_import_run_create,
    plan_import_run_execute,
)
from tests import services
from tests.conftest import load_seed_plan
from tests.factories import UserFactory

SEED = settings.SEED_PLAN_PATH.read_text(encoding="utf-8")
NEXT_PLAN = SEED.replace("三年行动方案（2020年—2022年》", "三年行动方案（2023年—2025年》")


def upload(user, text=NEXT_PLAN, filename="next.txt", **kwargs):
    return plan_import_run_create(user=user, filename=filename, content=text.encode("utf-8"), **kwargs)


def confirmed(user, **kwargs):
    run, _ = upload(user, **kwargs)
    assert plan_import_run_confirm(run=run)
    return run


def test_upload_is_checked_and_kept_for_confirmation(office, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        run, preview = upload(office)
    assert run.status == ImportStatus.PREVIEW and callbacks == []
    assert preview.dry_run and sum(1 for _ in preview.parsed.all_tasks()) == 57
    assert not ActionPlan.objects.filter(start_year=2023).exists()


def test_confirmation_queues_the_job_once(office, django_capture_on_commit_callbacks):
    run, _ = upload(office)
    with django_capture_on_commit_callbacks() as callbacks:
        assert plan_import_run_confirm(run=run)
        assert not plan_import_run_confirm(run=run)
    run.refresh_from_db()
    assert run.status == ImportStatus.PENDING and len(callbacks) == 1


def test_execute_imports_once(office):
    run = confirmed(office, with_seed_indicators=True)
    done = plan_import_run_execute(run_id=run.pk)
    assert done.status == ImportStatus.SUCCEEDED and done.plan.start_year == 2023
    assert Task.objects.filter(plan=done.plan).count() == 57 and done.plan.indicators.count() == 45
    assert done.finished_at and done.changes
    assert plan_import_run_execute(run_id=run.pk) is None  # already claimed
    assert Task.history.filter(history_user=office).exists()


def test_unconfirmed_upload_is_never_executed(office):
    run, _ = upload(office)
    assert plan_import_run_execute(run_id=run.pk) is None
    assert not ActionPlan.objects.filter(start_year=2023).exists()


def test_failure_inside_the_job_is_recorded_and_writes_nothing(office):
    run = confirmed(office)
    UnitAlias.objects.filter(alias="人社局").delete()  # the directory changed after the preview
    done = plan_import_run_execute(run_id=run.pk)
    assert done.status == ImportStatus.FAILED and "新区人社局" in done.error
    assert not ActionPlan.objects.filter(start_year=2023).exists()


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("plan.txt", NEXT_PLAN.encode("gbk"), "UTF-8"),
        ("plan.docx", NEXT_PLAN.encode("utf-8"), "不是 Word 文档"),
        ("plan.pdf", b"%PDF-1.4", "不支持的文件类型"),
        ("plan.txt", b"PK\x03\x04rest", "不是纯文本"),
        ("plan.txt", b"x" * (settings.PLAN_UPLOAD_MAX_BYTES + 1), "文件过大"),
    ],
)
def test_bad_files_are_refused_and_create_nothing(office, filename, content, message):
    with pytest.raises(PlanTextError, match=message):
        plan_import_run_create(user=office, filename=filename, content=content)
    assert not PlanImportRun.objects.exists()


def test_unknown_unit_is_refused_before_queueing(office):
    with pytest.raises(PlanImportError, match="新区水务局"):
        upload(office, text=NEXT_PLAN.replace("新区农业农村局；", "新区水务局；"))
    assert not PlanImportRun.objects.exists()


@pytest.mark.service
@pytest.mark.django_db(transaction=True)
def test_job_runs_on_a_real_worker():
    load_seed_plan()
    office = UserFactory.in_unit("新区党工委组织部（营商办）", role="office")
    with services.celery_worker() as app:
        app.conf.task_always_eager = False
        run = confirmed(office)  # no atomic block around it: the job is sent on commit
        for _ in range(120):
            run.refresh_from_db()
            if ImportStatus(run.status).is_final:
                break
            time.sleep(0.5)
    assert run.status == ImportStatus.SUCCEEDED, run.error
    assert Task.objects.filter(plan__start_year=2023).count() == 57
    assert Task.history.filter(history_user=office, plan_id=run.plan_id).count() == 57
