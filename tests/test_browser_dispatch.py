"""Monthly dispatch end to end in headless Chromium (Debian's /usr/bin/chromium through
Playwright) against the live server, each user in a browser of its own:

the lead unit (新区行政审批与政务服务局) fills the June 2022 report on task 1.1 and first
submits it without 下月计划 — the message appears beside the field and nothing typed is lost —
then submits it with a PDF attached; the office returns it with a comment from the review
queue; the unit sees the comment on its home page, fixes the report and resubmits; the office
approves it; the supporting unit (沣东新城) reads the lead unit's report and adds its
contribution. No page may log a console error (a CSP violation would be one).

Without Chromium the tests skip, unless REQUIRE_BROWSER=1 (CI), where they fail instead.
"""

import re

import pytest

from tasks.choices import Role
from tasks.models import Contribution, ProgressReport, Task
from tasks.services import dispatch
from tests.conftest import load_seed_plan
from tests.factories import UserFactory
from tests.test_browser_foundation import browser  # noqa: F401  (the Chromium fixture)
from tests.test_pages_filing import tiny_pdf

pytestmark = pytest.mark.browser

PASSWORD = "Tianbao#E2e-2026"


@pytest.fixture
def people(transactional_db, settings, tmp_path):
    # Transactional tests flush the database afterwards, so the seed plan is loaded here.
    load_seed_plan()
    settings.MEDIA_ROOT = tmp_path / "media"
    return {
        "lead": UserFactory.in_unit("新区行政审批与政务服务局", username="chen.shenpi", full_name="陈审批", password=PASSWORD),
        "office": UserFactory.in_unit("新区党工委组织部（营商办）", role=Role.OFFICE, username="wang.yingshang",
                                      full_name="王营商", password=PASSWORD),
        "supporting": UserFactory.in_unit("沣东新城", username="zheng.fengdong", full_name="郑沣东", password=PASSWORD),
    }


@pytest.fixture
def june(people):
    return dispatch.period_open(year=2022, month=6)


@pytest.fixture
def console_errors() -> list[str]:
    return []


@pytest.fixture
def open_as(browser, live_server, console_errors):  # noqa: F811
    """A signed-in page of its own for each user (one browser context each)."""
    from playwright.sync_api import expect

    contexts = []

    def sign_in(user):
        context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN", accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda message: message.type == "error" and console_errors.append(f"{page.url}: {message.text}"))
        page.on("pageerror", lambda error: console_errors.append(f"{page.url}: {error}"))
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("用户名").fill(user.username)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        expect(page).to_have_url(f"{live_server.url}/")
        return page

    yield sign_in
    for context in contexts:
        context.close()


def test_report_returned_fixed_approved_and_supported(live_server, open_as, console_errors, people, june, tmp_path):
    from playwright.sync_api import expect

    task = Task.objects.get(code="1.1")
    pdf = tmp_path / "6月工作台账.pdf"
    pdf.write_bytes(tiny_pdf())

    # The lead unit opens its inbox from the top bar and starts the June report on 1.1.
    lead = open_as(people["lead"])
    lead.get_by_role("navigation", name="主导航").get_by_role("link", name="月度填报").click()
    expect(lead.locator("h1")).to_contain_text("2022年6月")
    row = lead.locator("tr", has=lead.get_by_role("link", name=task.title, exact=True))
    expect(row).to_contain_text("进展填报")
    expect(row).to_contain_text("逾期")  # June 2022 fell due long ago: working days overdue
    row.get_by_role("link", name="填报").click()
    expect(lead).to_have_url(f"{live_server.url}/reporting/{june.pk}/tasks/{task.pk}/report/")

    # First try: 下月计划 forgotten. The message sits beside the field; nothing typed is lost.
    lead.get_by_label("本月完成情况").fill("梳理审批清单 80 项，并联审批上线。")
    lead.get_by_label("存在问题").fill("部分部门数据共享滞后。")
    lead.get_by_label("完成进度（%）").fill("40")
    lead.locator("input[name=files]").set_input_files(str(pdf))
    expect(lead.locator("#files-chosen")).to_contain_text("6月工作台账.pdf")
    lead.get_by_role("button", name="提交", exact=True).click()
    expect(lead.locator(".alert-error")).to_contain_text("还有必填内容没有填写。")
    next_plan_row = lead.locator(".form-row", has=lead.get_by_label("下月计划"))
    expect(next_plan_row.locator(".field-error")).to_have_text("请填写下月计划。")
    expect(lead.get_by_label("本月完成情况")).to_have_value("梳理审批清单 80 项，并联审批上线。")
    expect(lead.get_by_label("存在问题")).to_have_value("部分部门数据共享滞后。")
    expect(lead.get_by_label("完成进度（%）")).to_have_value("40")
    # The attachment was kept with the draft: it is listed, not asked for again.
    expect(lead.locator(".evidence-list")).to_contain_text("6月工作台账.pdf")

    lead.get_by_label("下月计划").fill("推动审批清单全部上线运行。")
    lead.get_by_role("button", name="提交", exact=True).click()
    expect(lead.locator(".messages")).to_contain_text("已提交，等待新区营商办审核。")
    expect(lead.locator("textarea")).to_have_count(0)
    with lead.expect_download() as download:
        lead.get_by_role("link", name="6月工作台账.pdf").click()
    assert download.value.suggested_filename == "6月工作台账.pdf"

    # The office finds it in the review queue and returns it with a comment.
    office = open_as(people["office"])
    expect(office.locator(".inbox-count")).to_have_text("1")
    office.get_by_role("navigation", name="主导航").get_by_role("link", name="审核").click()
    queue_row = office.locator("tr", has=office.get_by_role("link", name=task.title, exact=True))
    queue_row.get_by_role("link", name="审核").click()
    office.get_by_label("退回理由").fill("请补充存在问题的原因和整改措施。")
    office.get_by_role("button", name="退回修改").click()
    expect(office.locator(".messages")).to_contain_text("退回")

    # The unit sees the comment first thing on its home page, fixes the report and resubmits.
    lead.goto(f"{live_server.url}/")
    expect(lead.locator(".inbox-count")).to_have_text("1")
    returned = lead.locator(".panel-returned")
    expect(returned).to_contain_text("请补充存在问题的原因和整改措施。")
    returned.get_by_role("link", name="去修改").click()
    expect(lead.locator(".alert-returned")).to_contain_text("请补充存在问题的原因和整改措施。")
    expect(lead.get_by_label("本月完成情况")).to_have_value("梳理审批清单 80 项，并联审批上线。")
    lead.get_by_label("存在问题").fill("部分部门数据共享滞后：接口标准不一。已约定 7 月统一接口。")
    lead.get_by_role("button", name="重新提交").click()
    expect(lead.locator(".messages")).to_contain_text("已提交")

    # The office approves it.
    office.goto(f"{live_server.url}/review/")
    office.locator("tr", has=office.get_by_role("link", name=task.title, exact=True)).get_by_role("link", name="审核").click()
    office.get_by_role("button", name="审核通过").click()
    expect(office.locator(".messages")).to_contain_text("通过")
    report = ProgressReport.objects.get(task=task, period=june)
    assert report.status == "approved" and report.problems.startswith("部分部门数据共享滞后：接口标准不一")
    assert [e.action for e in report.events.order_by("at", "id")] == ["submit", "return", "submit", "approve"]

    lead.reload()
    expect(lead.locator(".readonly-note")).to_contain_text("已审核通过，内容已锁定")
    expect(lead.locator(".events")).to_contain_text("王营商")

    # The supporting unit reads the lead unit's report and adds its contribution.
    supporting = open_as(people["supporting"])
    supporting.get_by_role("navigation", name="主导航").get_by_role("link", name="月度填报").click()
    support_row = supporting.locator("tr", has=supporting.get_by_role("link", name=task.title, exact=True))
    expect(support_row).to_contain_text("配合情况")
    support_row.get_by_role("link", name="填报").click()
    expect(supporting.locator("section[aria-labelledby=lead-title]")).to_contain_text("梳理审批清单 80 项")
    supporting.get_by_role("textbox", name=re.compile("配合情况")).fill("沣东新城配合完成项目现场踏勘 3 次。")
    supporting.get_by_role("button", name="提交", exact=True).click()
    expect(supporting.locator(".messages")).to_contain_text("已提交")
    assert Contribution.objects.get(task=task, period=june).status == "submitted"

    # The task page tells the whole story.
    lead.goto(f"{live_server.url}/tasks/{task.pk}/")
    history = lead.locator("section[aria-labelledby=reports-title]")
    expect(history).to_contain_text("已通过")
    history.locator("summary").first.click()
    expect(history).to_contain_text("请补充存在问题的原因和整改措施。")
    expect(lead.locator("section[aria-labelledby=contributions-title]")).to_contain_text("沣东新城配合完成项目现场踏勘 3 次。")

    assert console_errors == []


def test_light_reason_opens_on_click(live_server, open_as, console_errors, people, june):
    from playwright.sync_api import expect

    lead = open_as(people["lead"])
    lead.goto(f"{live_server.url}/reporting/")
    light = lead.locator("details.light").first
    reason = light.locator(".light-reason")
    expect(reason).to_be_hidden()
    title = light.locator("summary").get_attribute("title")
    assert title and re.search(r"逾期未报|序时进度", title)
    light.locator("summary").click()
    expect(reason).to_be_visible()
    expect(reason).to_have_text(title)
    assert console_errors == []
