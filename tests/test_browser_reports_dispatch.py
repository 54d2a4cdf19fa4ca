"""The monthly dispatch report end to end in headless Chromium against the live server: the office
opens 调度报告, opens October 2025's report, clicks 重新生成, watches the progress bar move while
htmx polls, sees the rebuilt report (第 2 次生成) once the page reloads itself, and downloads the
workbook, which openpyxl reads. No page may log a console error (a CSP violation would be one).

The build runs in a thread of the test process, as a worker would, started when the request
commits; each section waits a moment so that the page has progress to show.

Without Chromium the test skips, unless REQUIRE_BROWSER=1 (CI), where it fails instead.
"""

import threading
import time
from io import BytesIO

import pytest
from django.db import connection, transaction
from openpyxl import load_workbook

from reports.services import dispatch_reports as services
from tasks.choices import Role
from tests.conftest import load_seed_plan
from tests.factories import UserFactory
from tests.supervision_data import frozen
from tests.test_browser_foundation import browser  # noqa: F401  (the Chromium fixture)
from tests.test_reports_dispatch import BUILD_DAY, october

pytestmark = pytest.mark.browser

PASSWORD = "Diaodu#E2e-2026"


@pytest.fixture
def people(transactional_db, settings, tmp_path):
    load_seed_plan()  # transactional tests flush the database afterwards
    settings.MEDIA_ROOT = tmp_path / "media"
    return {
        "office": UserFactory.in_unit("新区党工委组织部（营商办）", role=Role.OFFICE, username="zhao.yingshang",
                                      full_name="赵营商", password=PASSWORD),
        "inspector": UserFactory.in_unit("新区督查室", role=Role.INSPECTOR, username="qian.duchashi"),
        "lead": UserFactory.in_unit("新区行政审批与政务服务局", username="sun.shenpi"),
        "supporting": UserFactory.in_unit("沣东新城", username="li.fengdong"),
    }


@pytest.fixture
def report(people):
    october(people["office"], people["inspector"], people["lead"], people["supporting"])
    with frozen(BUILD_DAY):
        report, _ = services.dispatch_report_request(kind="monthly", year=2025, number=10, user=None, queue=False)
        return services.dispatch_report_build(report_id=report.pk)


@pytest.fixture
def worker_thread(monkeypatch):
    """Builds queued by the pages run in a thread of their own, a little slowly."""
    threads: list[threading.Thread] = []
    original = services.report_content

    def slow_content(scope, *, on_section):
        def step(percent, stage):
            on_section(percent, stage)
            time.sleep(0.8)
        return original(scope, on_section=step)

    def build(report_id):
        try:
            time.sleep(0.5)
            services.dispatch_report_build(report_id=report_id)
        finally:
            connection.close()

    def enqueue(job, report_id):
        def start():
            thread = threading.Thread(target=build, args=(report_id,))
            threads.append(thread)
            thread.start()
        transaction.on_commit(start)

    monkeypatch.setattr(services, "report_content", slow_content)
    monkeypatch.setattr(services, "enqueue_on_commit", enqueue)
    yield
    for thread in threads:
        thread.join(timeout=60)


def test_office_rebuilds_the_report_watches_its_progress_and_downloads_it(browser, live_server, people, report,  # noqa: F811
                                                                         worker_thread):
    from playwright.sync_api import expect

    errors: list[str] = []
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill(people["office"].username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/reports/dispatch/")
    page.get_by_role("link", name="2025年10月调度报告").click()
    expect(page.locator("h1")).to_have_text("2025年10月调度报告")
    expect(page.locator("#section-summary")).to_contain_text("按时报送率")
    expect(page.locator(".page-meta").first).to_contain_text("第 1 次生成")

    page.get_by_role("button", name="重新生成").click()
    expect(page.locator(".messages")).to_contain_text("已开始生成2025年10月调度报告")
    progress = page.locator("#report-progress")
    expect(progress).to_be_visible()
    expect(progress.locator("progress")).to_be_visible()
    # htmx fetches the fragment every 2 seconds: the stage moves on to the sections.
    expect(progress).to_contain_text("正在汇总", timeout=15_000)
    # Once the build has ended the page reloads itself with the new build.
    expect(page.locator(".page-meta").first).to_contain_text("第 2 次生成", timeout=30_000)
    expect(page.locator("#report-progress")).to_have_count(0)
    expect(page.locator("#section-returns")).to_contain_text("请补充佐证材料。")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载 .xlsx").click()
    download = download_info.value
    assert download.suggested_filename == "2025年10月调度报告.xlsx"
    with open(download.path(), "rb") as stream:  # saved without an extension
        book = load_workbook(BytesIO(stream.read()))
    assert book.sheetnames[:3] == ["总体情况", "各任务组进展", "各单位报送情况"]
    assert book["各单位报送情况"]["A1"].value == "2025年10月调度报告——各单位报送情况"
    context.close()
    assert errors == []
