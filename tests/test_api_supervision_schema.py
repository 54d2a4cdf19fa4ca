"""The supervision API in the OpenAPI schema: every endpoint and action documented, in Chinese,
with the refusals it can answer; the schema validates without warnings, and the supervision
choice sets leave the names of the filings' enums alone."""

import pytest
import yaml
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS

READS = {"rounds": "督查轮次", "findings": "督查问题", "rectifications": "整改情况", "extensions": "延期申请",
         "escalations": "督办记录", "bulletins": "通报"}
# (path, method, tag, success statuses)
WRITES = [
    ("/api/v1/rounds/", "post", "督查轮次", {"201"}),
    ("/api/v1/rounds/{id}/", "put", "督查轮次", {"200"}),
    ("/api/v1/rounds/{id}/", "patch", "督查轮次", {"200"}),
    ("/api/v1/findings/", "post", "督查问题", {"201"}),
    ("/api/v1/findings/{id}/rectification/", "post", "督查问题", {"200"}),
    ("/api/v1/findings/{id}/submit/", "post", "督查问题", {"200"}),
    ("/api/v1/findings/{id}/verify/", "post", "督查问题", {"200"}),
    ("/api/v1/findings/{id}/extension/", "post", "督查问题", {"201"}),
    ("/api/v1/extensions/{id}/decide/", "post", "延期申请", {"200"}),
    ("/api/v1/escalations/", "post", "督办记录", {"201"}),
    ("/api/v1/escalations/{id}/reply/", "post", "督办记录", {"200"}),
]


def chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.fixture(scope="module")
def schema(tmp_path_factory) -> dict:
    GENERATOR_STATS.reset()  # warnings of earlier generations in this process are cached
    path = tmp_path_factory.mktemp("schema") / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize(("resource", "tag"), READS.items())
def test_reads_are_documented(schema, resource, tag):
    collection, detail = schema["paths"][f"/api/v1/{resource}/"], schema["paths"][f"/api/v1/{resource}/{{id}}/"]
    for operation in (collection["get"], detail["get"]):
        assert operation["tags"] == [tag]
        assert chinese(operation["summary"]) and chinese(operation["description"])
    assert chinese(detail["get"]["parameters"][0]["description"])


@pytest.mark.parametrize(("path", "method", "tag", "ok"), WRITES)
def test_writes_are_documented_with_their_refusals(schema, path, method, tag, ok):
    operation = schema["paths"][path][method]
    assert operation["tags"] == [tag]
    assert chinese(operation["summary"]) and chinese(operation["description"])
    assert ok | {"400", "403", "404"} == set(operation["responses"]), operation["operationId"]


def test_read_only_resources_have_no_writes(schema):
    paths = schema["paths"]
    for resource in ("rectifications", "bulletins"):
        assert set(paths[f"/api/v1/{resource}/"]) == {"get"}
        assert set(paths[f"/api/v1/{resource}/{{id}}/"]) == {"get"}
    assert set(paths["/api/v1/findings/{id}/"]) == {"get"}
    assert set(paths["/api/v1/extensions/"]) == {"get"}
    assert set(paths["/api/v1/escalations/{id}/"]) == {"get"}


def test_list_filters_are_documented(schema):
    def names(path: str) -> set[str]:
        return {p["name"] for p in schema["paths"][path]["get"]["parameters"]}

    assert {"year", "quarter", "status"} <= names("/api/v1/rounds/")
    assert {"status", "unit", "round", "severity", "overdue"} <= names("/api/v1/findings/")
    assert {"level", "unit", "item_kind", "awaiting_reply"} <= names("/api/v1/escalations/")
    overdue = next(p for p in schema["paths"]["/api/v1/findings/"]["get"]["parameters"] if p["name"] == "overdue")
    assert overdue["schema"]["type"] == "boolean"


def test_enums_keep_their_names(schema):
    components = schema["components"]["schemas"]
    # The filings' status and the review record's action are untouched by supervision's codes,
    # which are plain strings with their codes listed.
    assert components["StatusEnum"]["enum"] == ["draft", "submitted", "returned", "approved"]
    assert components["ActionEnum"]["enum"] == ["submit", "approve", "return", "reopen"]
    assert components["Finding"]["properties"]["status"]["type"] == "string"
    assert "open 待整改" in components["Finding"]["properties"]["status"]["description"]
    assert components["FindingVerifyInput"]["properties"]["action"]["type"] == "string"
    assert components["LevelEnum"]["enum"] == ["reminder", "urge", "notice", "bulletin"]
    assert components["LightEnum"]["enum"] == ["green", "yellow", "red"]
    assert components["Escalation"]["properties"]["level"]["allOf"] == [{"$ref": "#/components/schemas/LevelEnum"}]
    assert components["EscalationInput"]["properties"]["level"] == {
        "allOf": [{"$ref": "#/components/schemas/LevelEnum"}],
        "description": components["EscalationInput"]["properties"]["level"]["description"],
    }


def test_finding_output_carries_the_light(schema):
    finding = schema["components"]["schemas"]["Finding"]["properties"]
    assert {"light", "days_left", "light_reason", "due_date", "status_display"} <= set(finding)
    assert finding["days_left"]["nullable"] is True
    detail = schema["components"]["schemas"]["FindingDetail"]["properties"]
    assert {"rectification", "evidence", "events", "extensions"} <= set(detail)
