"""The Excel round-trip end to end in headless Chromium (Debian's /usr/bin/chromium through
Playwright) against the live server.

The lead unit (新区行政审批与政务服务局) opens Excel 批量填报 from its reporting inbox,
downloads its June 2022 template, fills it with openpyxl with one error (完成进度 150), uploads
it and sees the error by row and column; nothing is saved. It fixes the cell, uploads again,
submits, and the reports exist, submitted by that user. No page may log a console error.

Without Chromium the tests skip, unless REQUIRE_BROWSER=1 (CI), where they fail instead.
"""

from io import BytesIO

import pytest
from openpyxl import load_workbook

from reports.roundtrip import SHEET_NAME
from tasks.models import ProgressReport
from tasks.services import dispatch
from tests.conftest import load_seed_plan
from tests.factories import UserFactory
from tests.test_browser_foundation import browser  # noqa: F401  (the Chromium fixture)

pytestmark = pytest.mark.browser

PASSWORD = "Tianbao#E2e-2026"


@pytest.fixture
def lead(transactional_db):
    # Transactional tests flush the database afterwards, so the seed plan is loaded here.
    load_seed_plan()
    return UserFactory.in_unit("新区行政审批与政务服务局", username="li.shenpi", full_name="李审批", password=PASSWORD)


@pytest.fixture
def june(lead):
    return dispatch.period_open(year=2022, month=6)


def filled(path, *, progress) -> None:
    """The downloaded template with 1.1 and 1.3 filled in, as a unit would in Excel."""
    workbook = load_workbook(path)
    sheet = workbook[SHEET_NAME]
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=4)}
    for code, value in (("1.1", 60), ("1.3", progress)):
        cells = rows[code]
        cells[3].value, cells[5].value, cells[6].value = f"{code} 本月完成情况", f"{code} 下月计划", value
    workbook.save(path)


def test_round_trip_with_one_error_fixed(browser, live_server, lead, june, tmp_path):  # noqa: F811
    from playwright.sync_api import expect

    errors: list[str] = []
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    page.on("console", lambda message: message.type == "error" and errors.append(f"{page.url}: {message.text}"))
    page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill(lead.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(f"{live_server.url}/")

    # From the inbox to Excel 批量填报, and the template download.
    page.goto(f"{live_server.url}/reporting/")
    page.get_by_role("link", name="Excel 批量填报").click()
    expect(page.locator("h1")).to_contain_text("2022年6月")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载2022年6月进展填报模板").click()
    assert download.value.suggested_filename == "进展填报模板_审批局_2022年6月.xlsx" or \
        download.value.suggested_filename.endswith("_2022年6月.xlsx")
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert load_workbook(BytesIO(path.read_bytes()))[SHEET_NAME]["A4"].value == "1.1"

    # One error: 完成进度 150 on 1.3 (the template's 5th row). Shown by row and column; nothing saved.
    filled(path, progress=150)
    page.get_by_label("填好的模板", exact=True).set_input_files(str(path))
    page.get_by_role("button", name="上传并检查").click()
    issues = page.locator("table.roundtrip-issues tbody tr")
    expect(issues).to_have_count(1)
    expect(issues.first).to_contain_text("第 5 行")
    expect(issues.first).to_contain_text("完成进度")
    expect(issues.first).to_contain_text("应为 0–100 的整数")
    expect(page.get_by_role("button", name="直接提交")).to_have_count(0)
    expect(page.get_by_role("button", name="保存为草稿")).to_have_count(0)

    # Fixed and uploaded again: the rows to save, then 直接提交.
    filled(path, progress=80)
    page.get_by_role("link", name="重新上传").click()
    page.get_by_label("填好的模板", exact=True).set_input_files(str(path))
    page.get_by_role("button", name="上传并检查").click()
    expect(page.locator("table.roundtrip-rows tbody tr")).to_have_count(2)
    page.get_by_role("button", name="直接提交").click()
    expect(page.locator(".messages")).to_contain_text("已提交 2 项任务的进展")
    page.get_by_role("link", name="查看月度填报").click()
    expect(page.locator("h1")).to_contain_text("2022年6月")

    # Read only once the browser is done: SQLite's shared in-memory test database locks whole
    # tables, and a read from this thread while the live server writes would collide.
    reports = {r.task.code: r for r in ProgressReport.objects.select_related("task", "created_by")}
    assert {code: (r.status, r.progress, r.created_by) for code, r in reports.items()} == {
        "1.1": ("submitted", 60, lead), "1.3": ("submitted", 80, lead),
    }
    assert errors == []
    context.close()
