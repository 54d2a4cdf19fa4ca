"""Starting a report from the UI, end to end in headless Chromium (Debian's /usr/bin/chromium
through Playwright) against the live server.

The office has opened April and May 2021, months the seed plan (2020–2022) owes. The lead unit
(新区行政审批与政务服务局) opens 填报任务, finds the May report of task 1.1 not yet begun,
opens it, fills 本月完成情况, 下月计划 and 完成进度, saves a draft and submits it; then it starts
the report of another task it leads (1.3) from the task page's button, and finds April there
too, under 其他月份. No page may log a console error (a CSP violation would be one).

Without Chromium the tests skip, unless REQUIRE_BROWSER=1 (CI), where they fail instead.
"""

import pytest

from tasks.models import ProgressReport, Task
from tasks.services import dispatch
from tests.test_browser_dispatch import console_errors, open_as, people  # noqa: F401  (fixtures)
from tests.test_browser_foundation import browser  # noqa: F401  (the Chromium fixture)

pytestmark = pytest.mark.browser

@pytest.fixture
def periods(people):  # noqa: F811
    """April and May 2021 open (within the seed plan); May is the newest open month."""
    return dispatch.period_open(year=2021, month=4), dispatch.period_open(year=2021, month=5)


def test_lead_unit_starts_reports_from_the_inbox_and_the_task_page(live_server, open_as, console_errors, people, periods):  # noqa: F811
    from playwright.sync_api import expect

    april, may = periods
    task, other = Task.objects.get(code="1.1"), Task.objects.get(code="1.3")

    # 填报任务 opens on the newest open month and lists the report not yet begun.
    lead = open_as(people["lead"])
    lead.get_by_role("navigation", name="主导航").get_by_role("link", name="月度填报").click()
    expect(lead.locator("h1")).to_contain_text("填报任务")
    expect(lead.locator("h1")).to_contain_text("2021年5月")
    expect(lead.locator("#period-select optgroup[label=填报中] option")).to_have_text(["2021年5月", "2021年4月"])
    row = lead.locator("tr", has=lead.get_by_role("link", name=task.title, exact=True))
    expect(row).to_contain_text("进展填报")
    expect(row).to_contain_text("未填报")
    row.get_by_role("link", name="填报", exact=True).click()
    expect(lead).to_have_url(f"{live_server.url}/reporting/{may.pk}/tasks/{task.pk}/report/")
    expect(lead.locator(".filing-what")).to_have_text("2021年5月进展填报")

    # A draft first: what was typed comes back.
    lead.get_by_label("本月完成情况").fill("梳理项目前期手续清单 42 项，并联审批全面推开。")
    lead.get_by_label("下月计划").fill("推动清单内事项全部网上办理。")
    lead.get_by_label("完成进度（%）").fill("35")
    lead.get_by_role("button", name="保存草稿").last.click()
    expect(lead.locator(".messages")).to_contain_text("草稿已保存，尚未提交。")
    expect(lead.get_by_label("本月完成情况")).to_have_value("梳理项目前期手续清单 42 项，并联审批全面推开。")
    expect(lead.get_by_label("完成进度（%）")).to_have_value("35")

    # Then submitted: the form locks.
    lead.get_by_role("button", name="提交", exact=True).click()
    expect(lead.locator(".messages")).to_contain_text("已提交，等待新区营商办审核。")
    expect(lead.locator("textarea")).to_have_count(0)
    report = ProgressReport.objects.get(task=task, period=may)
    assert (report.status, report.progress, report.next_plan) == ("submitted", 35, "推动清单内事项全部网上办理。")

    # Back in the inbox, 1.1 can only be read now.
    lead.goto(f"{live_server.url}/reporting/")
    row = lead.locator("tr", has=lead.get_by_role("link", name=task.title, exact=True))
    expect(row.get_by_role("link", name="查看")).to_be_visible()

    # Another task's report, started from its task page.
    lead.goto(f"{live_server.url}/tasks/{other.pk}/")
    actions = lead.locator(".page-actions")
    expect(actions.get_by_role("link", name="填报2021年5月进展")).to_be_visible()
    actions.locator("details.more-actions summary").click()
    expect(actions.get_by_role("link", name="填报2021年4月进展")).to_be_visible()
    actions.get_by_role("link", name="填报2021年5月进展").click()
    expect(lead).to_have_url(f"{live_server.url}/reporting/{may.pk}/tasks/{other.pk}/report/")
    lead.get_by_label("本月完成情况").fill("完成 5 个项目的联合验收。")
    lead.get_by_role("button", name="保存草稿").last.click()
    expect(lead.locator(".messages")).to_contain_text("草稿已保存，尚未提交。")
    lead.get_by_role("link", name="任务详情与填报历史").click()
    expect(lead.locator(".page-actions").get_by_role("link", name="继续填报2021年5月进展")).to_be_visible()
    assert ProgressReport.objects.get(task=other, period=may).completed == "完成 5 个项目的联合验收。"
    assert not ProgressReport.objects.filter(period=april).exists()

    # The first task's page offers to read May's report and to start April's.
    lead.goto(f"{live_server.url}/tasks/{task.pk}/")
    expect(lead.locator(".page-actions").get_by_role("link", name="查看2021年5月进展")).to_be_visible()

    assert console_errors == []
