"""The monthly-dispatch API in the OpenAPI schema: every endpoint and action documented, in
Chinese, with the refusals it can answer; the schema validates without warnings."""

import pytest
import yaml
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS

ACTIONS = ["submit", "approve", "return", "reopen"]


@pytest.fixture(scope="module")
def schema(tmp_path_factory) -> dict:
    GENERATOR_STATS.reset()  # warnings of earlier generations in this process are cached
    path = tmp_path_factory.mktemp("schema") / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize(("resource", "tag"), [
    ("reports", "进展填报"), ("contributions", "配合情况"), ("annual-plans", "年度工作方案"),
])
def test_filing_endpoints_are_documented(schema, resource, tag):
    paths = schema["paths"]
    collection, detail = paths[f"/api/v1/{resource}/"], paths[f"/api/v1/{resource}/{{id}}/"]
    writes = [collection["post"], *(detail[m] for m in ("put", "patch", "delete"))]
    writes += [paths[f"/api/v1/{resource}/{{id}}/{name}/"]["post"] for name in ACTIONS]
    for operation in [collection["get"], detail["get"], *writes]:
        assert operation["tags"] == [tag]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in operation["summary"]), operation["summary"]
    for operation in writes:
        assert {"400", "403", "404"} <= set(operation["responses"]), operation["operationId"]
    assert {"200", "201"} <= set(collection["post"]["responses"])
    assert detail["delete"]["responses"].keys() >= {"204", "400"}


def test_evidence_upload_is_multipart(schema):
    for resource in ("reports", "annual-plans"):
        body = schema["paths"][f"/api/v1/{resource}/{{id}}/evidence/"]["post"]["requestBody"]["content"]
        assert list(body) == ["multipart/form-data"]


def test_periods_are_read_only_in_the_schema(schema):
    assert set(schema["paths"]["/api/v1/periods/"]) == {"get"}
    assert schema["paths"]["/api/v1/periods/"]["get"]["summary"] == "填报期列表"


def test_filing_status_is_one_enum(schema):
    components = schema["components"]["schemas"]
    assert components["StatusEnum"]["enum"] == ["draft", "submitted", "returned", "approved"]
    for name in ("ProgressReport", "Contribution", "AnnualWorkPlan"):
        assert components[name]["properties"]["status"]["allOf"] == [{"$ref": "#/components/schemas/StatusEnum"}]
