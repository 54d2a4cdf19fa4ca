"""/api/v1/dispatch-reports/: every endpoint by every persona, the content as JSON, 生成 and
重新生成 (202, or 409 while a build runs), refusals in Chinese, a list query count that does not
grow with the reports, and the OpenAPI schema."""

from __future__ import annotations

import pytest
import yaml
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS
from rest_framework.test import APIClient

from reports.choices import DispatchReportStatus as Status
from reports.models import DispatchReport
from reports.services.dispatch_reports import dispatch_report_build, dispatch_report_request
from tasks.services.dispatch import period_open
from tests.conftest import PERSONAS
from tests.supervision_data import d, frozen
from tests.test_reports_dispatch import BUILD_DAY, october

pytestmark = pytest.mark.django_db

LIST = "/api/v1/dispatch-reports/"
READERS = {"office", "inspector", "leader"}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Built workbooks are written under the test's own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def month(office, inspector, lead_user, supporting_user):
    return october(office, inspector, lead_user, supporting_user)


def built(number: int = 10, kind: str = "monthly") -> DispatchReport:
    with frozen(BUILD_DAY):
        report, _ = dispatch_report_request(kind=kind, year=2025, number=number, user=None, queue=False)
        return dispatch_report_build(report_id=report.pk)


@pytest.fixture
def report(month) -> DispatchReport:
    return built()


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.mark.parametrize("path", ["list", "detail"])
@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_reads_by_persona(persona, request, report, path):
    name = request.node.callspec.params["persona"]
    url = LIST if path == "list" else f"{LIST}{report.pk}/"
    response = api(persona).get(url)
    assert response.status_code == (200 if name in READERS else 403)
    if response.status_code == 403:
        assert "仅供新区营商办、督查室和领导查阅" in response.json()["detail"]


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_rebuild_by_persona(persona, request, report):
    name = request.node.callspec.params["persona"]
    response = api(persona).post(f"{LIST}{report.pk}/rebuild/")
    assert response.status_code == (202 if name == "office" else 403)
    assert DispatchReport.objects.get().status == (Status.PENDING if name == "office" else Status.READY)


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_create_by_persona(persona, request, month):
    name = request.node.callspec.params["persona"]
    response = api(persona).post(LIST, {"kind": "monthly", "year": 2025, "number": 10}, format="json")
    assert response.status_code == (202 if name == "office" else 403)
    assert DispatchReport.objects.count() == (1 if name == "office" else 0)


def test_anonymous_calls_are_401(report):
    assert api().get(LIST).status_code == 401
    assert api().post(f"{LIST}{report.pk}/rebuild/").status_code == 401


def test_the_detail_is_the_whole_content(leader, report):
    body = api(leader).get(f"{LIST}{report.pk}/").json()
    assert body["content"] == DispatchReport.objects.get().content
    assert (body["title"], body["kind"], body["status"], body["status_label"], body["generation"]) == (
        "2025年10月调度报告", "monthly", "ready", "已生成", 1)
    assert body["download_url"] == f"http://testserver/reports/dispatch/{report.pk}/download/"
    assert body["content"]["summary"]["on_time_rate"] == 50.0
    assert "草稿内容不得外泄" not in str(body)


def test_the_list_leaves_the_content_out_and_filters(inspector, report, month):
    with frozen(d("2025-12-01"), hour=8):
        period_open(year=2025, month=11)
    built(kind="half_year", number=2)
    rows = api(inspector).get(LIST).json()["results"]
    assert sorted(r["title"] for r in rows) == ["2025年10月调度报告", "2025年下半年工作总结会材料"]
    assert not any("content" in r for r in rows)
    assert [r["kind"] for r in api(inspector).get(LIST, {"kind": "half_year"}).json()["results"]] == ["half_year"]


def test_the_office_rebuilds_once_at_a_time(office, report):
    client = api(office)
    first = client.post(f"{LIST}{report.pk}/rebuild/")
    second = client.post(f"{LIST}{report.pk}/rebuild/")
    assert (first.status_code, first.json()["status"], first.json()["requested_by"]) == (202, "pending", str(office))
    assert (second.status_code, second.json()) == (409, {"detail": "2025年10月调度报告正在生成，请稍候。"})


def test_refusals_are_in_chinese_and_change_nothing(office, month):
    client = api(office)
    bad = client.post(LIST, {"kind": "weekly", "year": 2025, "number": 10}, format="json")
    assert bad.status_code == 400 and "kind" in bad.json()
    closed = client.post(LIST, {"kind": "monthly", "year": 2025, "number": 1}, format="json")
    assert (closed.status_code, closed.json()) == (400, {"detail": "2025年1月还没有打开过填报期，无法生成月调度报告。"})
    assert client.get(f"{LIST}9999/").status_code == 404
    assert not DispatchReport.objects.exists()


@pytest.mark.parametrize("extra", [0, 5])
def test_list_queries_do_not_grow_with_the_reports(leader, report, extra, django_assert_num_queries):
    for number in range(1, extra + 1):
        with frozen(d(f"2025-{number:02d}-01"), hour=8):
            period_open(year=2025, month=number)
        built(number=number)
    client = api(leader)
    # the page of reports (without content, with the requester), its count.
    with django_assert_num_queries(2):
        assert len(client.get(LIST).json()["results"]) == 1 + extra


# --- the schema ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def schema(tmp_path_factory) -> dict:
    GENERATOR_STATS.reset()
    path = tmp_path_factory.mktemp("schema") / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_the_schema_documents_every_operation_in_chinese(schema):
    paths = schema["paths"]
    operations = [(LIST, "get"), (LIST, "post"), (f"{LIST}{{id}}/", "get"), (f"{LIST}{{id}}/rebuild/", "post")]
    for path, method in operations:
        operation = paths[path][method]
        assert operation["tags"] == ["调度报告"]
        assert chinese(operation["summary"]) and chinese(operation["description"])
    for path in (LIST, f"{LIST}{{id}}/rebuild/"):
        assert set(paths[path]["post"]["responses"]) == {"202", "400", "403", "404", "409"}
    assert set(paths[LIST]) == {"get", "post"} and set(paths[f"{LIST}{{id}}/"]) == {"get"}
