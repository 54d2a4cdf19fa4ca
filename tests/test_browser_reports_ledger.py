"""The task ledger end to end in headless Chromium against the live server: the office searches
the tasks, clicks 导出台账 beside the results, and gets an .xlsx of exactly those tasks that
openpyxl reads. No page may log a console error (a CSP violation would be one).

Without Chromium the tests skip, unless REQUIRE_BROWSER=1 (CI), where they fail instead.
"""

from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tasks.choices import Role
from tests.conftest import load_seed_plan
from tests.factories import UserFactory
from tests.test_browser_foundation import browser  # noqa: F401  (the Chromium fixture)

pytestmark = pytest.mark.browser

PASSWORD = "Tianbao#E2e-2026"


@pytest.fixture
def office(transactional_db):
    load_seed_plan()  # transactional tests flush the database afterwards
    return UserFactory.in_unit("新区党工委组织部（营商办）", role=Role.OFFICE, username="wang.yingshang",
                               full_name="王营商", password=PASSWORD)


def test_office_downloads_the_task_ledger_of_its_search(browser, live_server, office):  # noqa: F811
    from playwright.sync_api import expect

    errors: list[str] = []
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill(office.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/tasks/")
    page.get_by_label("关键词").fill("八办")
    expect(page.locator("#task-results .count")).to_have_text("1")  # htmx swapped the results
    with page.expect_download() as download_info:
        page.get_by_role("link", name="导出台账").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx") and "任务台账" in download.suggested_filename
    sheet = load_workbook(BytesIO(Path(download.path()).read_bytes())).active
    assert [c.value for c in sheet[3]][:3] == ["序号", "任务组", "任务"]
    assert [row[2] for row in sheet.iter_rows(min_row=4, values_only=True)] == ["7.2 加快推行“八办”改革"]
    context.close()
    assert errors == []
