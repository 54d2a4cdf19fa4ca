"""The OpenAPI schema generates without warnings and validates; the Swagger page works under the
portal's content security policy (scripts from 'self' only, no inline script)."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.urls import reverse
from drf_spectacular.drainage import GENERATOR_STATS

DOCS_URL = reverse("api-docs")


def test_schema_has_no_warnings_and_validates(tmp_path):
    GENERATOR_STATS.reset()  # warnings of earlier generations in this process are cached
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    text = (tmp_path / "schema.yaml").read_text(encoding="utf-8")
    for path in ("/api/v1/units/", "/api/v1/plans/", "/api/v1/groups/", "/api/v1/tasks/{id}/",
                 "/api/v1/indicators/"):
        assert f"  {path}:" in text
    assert "summary: 任务列表" in text


def test_schema_is_served(client, office):
    client.force_login(office)
    response = client.get(reverse("api-schema"), {"format": "json"})
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "西咸新区营商环境督查督办平台 API"


@pytest.fixture
def docs_page(client, office):
    client.force_login(office)
    response = client.get(DOCS_URL)
    assert response.status_code == 200
    return client, response


def test_docs_page_loads_only_own_scripts(docs_page):
    client, response = docs_page
    html = response.content.decode()
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    # Every script is a file from the portal itself: no inline script, no CDN.
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts and all('src="/' in attrs for attrs in scripts)
    sources = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert sources
    for source in sources:
        assert finders.find(source.removeprefix("/static/")), source
    # The split view delivers its initialisation script as a separate JavaScript response.
    script = client.get(DOCS_URL, {"script": ""})
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")


def test_docs_page_has_no_inline_style(docs_page):
    # templates/drf_spectacular/swagger_ui.html moves the page style to static/css/swagger.css.
    _, response = docs_page
    page = response.content.decode()
    assert "<style" not in page and "css/swagger.css" in page


def test_schema_leaves_the_page_filter_untouched(client, office):
    # The API filters tasks with the page's TaskFilter; serving the schema builds its fields
    # first, and the task search page must still label its empty choices 「全部」.
    client.force_login(office)
    assert client.get(reverse("api-schema")).status_code == 200
    html = client.get(reverse("task-list")).content.decode()
    assert "---------" not in html and '<option value="" selected>全部</option>' in html
