"""End to end in headless Chromium (Debian's /usr/bin/chromium through Playwright) against the
live server: a unit user signs in through the login form, finds the unit's 牵头 and 配合 tasks
on the home page and reads task 1.1. Every page visited must be free of console errors — a
CSP violation (an inline script or style) shows up as one.

Without Chromium the tests skip, unless REQUIRE_BROWSER=1 (CI), where they fail instead.
"""

import os
import re
from pathlib import Path

import pytest

from tasks.models import Task
from tests.conftest import load_seed_plan
from tests.factories import UserFactory

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "Shenpi#E2e-2026"


def _unavailable(reason: str):
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture
def browser(monkeypatch):
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is not installed")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed")
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
    # still synchronous, so Django's async-safety check would refuse them.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def console_errors() -> list[str]:
    return []


@pytest.fixture
def page(browser, console_errors):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = context.new_page()
    page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
    page.on("pageerror", lambda error: console_errors.append(str(error)))
    yield page
    context.close()


@pytest.fixture
def unit_user(transactional_db):
    # Transactional tests flush the database afterwards, so the seed plan is loaded here.
    load_seed_plan()
    return UserFactory.in_unit(
        "新区行政审批与政务服务局", username="chen.shenpi", full_name="陈审批", password=PASSWORD,
    )


def sign_in(page, live_server, username: str, password: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))  # anonymous → login page
    expect(page.locator("h1")).to_have_text("用户登录")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(f"{live_server.url}/")


def test_unit_user_signs_in_and_reads_task_1_1(live_server, page, console_errors, unit_user):
    from playwright.sync_api import expect

    task = Task.objects.get(code="1.1")
    sign_in(page, live_server, unit_user.username, PASSWORD)

    expect(page.locator(".userbox")).to_contain_text("陈审批")
    expect(page.locator(".userbox")).to_contain_text("行政审批局")
    lead = page.locator("section[aria-labelledby=lead-title]")
    supporting = page.locator("section[aria-labelledby=supporting-title]")
    expect(lead.locator("h2")).to_have_text(re.compile(r"牵头任务\s*13"))
    expect(supporting.locator("h2")).to_have_text(re.compile(r"配合任务\s*5"))
    expect(supporting.get_by_role("link", name="提升获得用水便利度")).to_be_visible()  # 2.2

    lead.get_by_role("link", name=task.title).click()
    expect(page).to_have_url(f"{live_server.url}/tasks/{task.pk}/")
    expect(page.locator("h1")).to_have_text(re.compile(r"1\.1\s*加快项目建设前期手续办理"))
    expect(page.locator(".task-text-full")).to_have_text(task.text)
    units = page.locator("section[aria-labelledby=units-title]")
    expect(units.get_by_role("link", name="新区行政审批与政务服务局")).to_be_visible()
    expect(units.get_by_role("link", name="沣东新城")).to_be_visible()
    expect(units).to_contain_text("原文：各新城")

    assert console_errors == []


def test_plan_chart_and_live_search(live_server, page, console_errors, unit_user):
    from playwright.sync_api import expect

    plan_id = Task.objects.get(code="1.1").plan_id
    sign_in(page, live_server, unit_user.username, PASSWORD)

    page.goto(f"{live_server.url}/plans/{plan_id}/")
    expect(page.locator("#plan-chart canvas")).to_have_count(1)  # ECharts drew the chart
    page.locator("#plan-chart").hover()
    page.get_by_role("button", name="全部收起").click()
    expect(page.locator("details.group[open]")).to_have_count(0)

    page.goto(f"{live_server.url}/tasks/")
    expect(page.locator("#task-results h2 .count")).to_have_text("18")
    page.get_by_label("关键词").fill("绿色通道")  # htmx swaps the results as one types
    expect(page.locator("#task-results h2 .count")).to_have_text("1")
    expect(page).to_have_url(re.compile(r"q=%E7%BB%BF%E8%89%B2%E9%80%9A%E9%81%93"))
    expect(page.locator("#task-results")).to_contain_text("加快项目建设前期手续办理")

    assert console_errors == []
