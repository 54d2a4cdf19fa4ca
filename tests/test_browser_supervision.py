"""Supervision end to end in headless Chromium (Debian's /usr/bin/chromium through Playwright)
against the live server, each user in a browser of its own:

1. The inspector (督查室) logs two findings in a row on the round's page; the responsible unit
   (新区行政审批与政务服务局) opens 我的督查问题, writes its rectification with an evidence file
   and submits it; the inspector rejects it once with a reason from the verification queue; the
   unit reads the reason, revises and resubmits; the inspector closes it out (销号). The finding
   then reads 已销号 and its timeline lists every step, in order.
2. A finding overdue long enough: after the morning scan (the Celery job, run eagerly) its page
   and the unit's 督办记录 show the 催办 and the numbered 督办单; the unit answers the 督办单, and
   the printable 督办单 carries its number.

No page may log a console error (a CSP violation would be one). Without Chromium the tests
skip, unless REQUIRE_BROWSER=1 (CI), where they fail instead.
"""

import datetime
import re

import pytest
from django.utils import timezone

from supervision.choices import FindingStatus, InspectionMethod, Level
from supervision.jobs import deadline_scan_job
from supervision.models import Escalation, Finding, FindingEvidence
from supervision.services import finding_create, round_create
from supervision.services.inspections import FindingInput, RoundInput
from tasks.choices import Role
from tasks.models import Task, Unit
from tasks.workdays import is_working_day, working_days_between
from tests.conftest import load_seed_plan
from tests.factories import UserFactory
from tests.test_browser_foundation import browser  # noqa: F401  (the Chromium fixture)
from tests.test_pages_filing import tiny_pdf

pytestmark = pytest.mark.browser

PASSWORD = "Duchashi#E2e-2026"
LEAD_UNIT = "新区行政审批与政务服务局"


@pytest.fixture
def people(transactional_db, settings, tmp_path):
    # Transactional tests flush the database afterwards, so the seed plan is loaded here.
    load_seed_plan()
    settings.MEDIA_ROOT = tmp_path / "media"
    return {
        "inspector": UserFactory.in_unit("新区督查室", role=Role.INSPECTOR, username="li.duchashi",
                                         full_name="李督查", password=PASSWORD),
        "unit": UserFactory.in_unit(LEAD_UNIT, username="chen.shenpi", full_name="陈审批", password=PASSWORD),
    }


@pytest.fixture
def inspection(people):
    """This quarter's joint special inspection of the unit on task 1.1, planned by the inspector."""
    today = timezone.localdate()
    quarter = (today.month - 1) // 3 + 1
    return round_create(user=people["inspector"], data=RoundInput(
        year=today.year, quarter=quarter, title=f"{today.year}年第{quarter}季度优化营商环境联合专项督查",
        method=InspectionMethod.FOUR_NOS, start_date=today, team=[people["inspector"]],
        units=[Unit.objects.get(name=LEAD_UNIT)], tasks=[Task.objects.get(code="1.1")],
    ))


@pytest.fixture
def console_errors() -> list[str]:
    return []


@pytest.fixture
def open_as(browser, live_server, console_errors):  # noqa: F811
    """A signed-in page of its own for each user (one browser context each); confirmation
    dialogs (提交核验, 销号) are accepted, as the user would."""
    from playwright.sync_api import expect

    contexts = []

    def sign_in(user):
        context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda message: message.type == "error" and console_errors.append(f"{page.url}: {message.text}"))
        page.on("pageerror", lambda error: console_errors.append(f"{page.url}: {error}"))
        page.on("dialog", lambda dialog: dialog.accept())
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("用户名").fill(user.username)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        expect(page).to_have_url(f"{live_server.url}/")
        return page

    yield sign_in
    for context in contexts:
        context.close()


def timeline_steps(page) -> list[str]:
    return [text.strip() for text in page.locator("#timeline .timeline-what").all_inner_texts()]


def test_finding_logged_rectified_rejected_once_and_closed_out(live_server, open_as, console_errors, people,
                                                              inspection, tmp_path):
    from playwright.sync_api import expect

    prefix = f"{inspection.year}Q{inspection.quarter}-"
    pdf = tmp_path / "整改台账.pdf"
    pdf.write_bytes(tiny_pdf())

    # The inspector finds the round from the 督查 area and logs two findings in a row on its page.
    inspector = open_as(people["inspector"])
    inspector.get_by_role("navigation", name="主导航").get_by_role("link", name="督查", exact=True).click()
    inspector.get_by_role("link", name="督查轮次").first.click()
    inspector.get_by_role("link", name=inspection.title).first.click()
    expect(inspector.locator("h1")).to_have_text(inspection.title)
    log = inspector.locator("#log")
    log.get_by_label("责任单位").select_option(label=LEAD_UNIT)
    log.get_by_label("相关任务").select_option(label="1.1 加快项目建设前期手续办理")
    log.get_by_label("严重程度").select_option(label="较重")
    log.get_by_label("整改时限（工作日）").fill("10")
    log.get_by_label("问题描述").fill("政务服务大厅窗口一次性告知不到位，企业反映多次补交材料。")
    log.get_by_role("button", name="登记").click()
    expect(inspector.locator(".messages")).to_contain_text(f"已登记 {prefix}001")
    # The next one keeps the unit, severity and deadline; only the description is new.
    log = inspector.locator("#log")
    expect(log.get_by_label("责任单位")).to_have_value(str(Unit.objects.get(name=LEAD_UNIT).pk))
    expect(log.get_by_label("严重程度")).to_have_value("serious")
    expect(log.get_by_label("问题描述")).to_have_value("")
    log.get_by_label("问题描述").fill("网上办事指南与窗口收件要求不一致。")
    log.get_by_role("button", name="登记").click()
    expect(inspector.locator(".messages")).to_contain_text(f"已登记 {prefix}002")
    findings = inspector.locator("section[aria-labelledby=findings-title]")
    expect(findings.locator("tbody tr")).to_have_count(2)
    expect(findings).to_contain_text("一次性告知不到位")
    expect(findings).to_contain_text("网上办事指南")
    finding = Finding.objects.get(number=f"{prefix}001")
    assert (finding.unit.name, finding.task.code, finding.severity) == (LEAD_UNIT, "1.1", "serious")

    # The unit opens 我的督查问题, writes its rectification with a file and submits it.
    unit = open_as(people["unit"])
    unit.get_by_role("navigation", name="主导航").get_by_role("link", name="督查", exact=True).click()
    expect(unit.locator("h1")).to_have_text("我的督查问题")
    unit.get_by_role("link", name=finding.number, exact=True).click()
    unit.get_by_label("整改措施").fill("制作一次性告知单，窗口和网上同步公开；组织窗口人员培训。")
    unit.get_by_label("整改结果").fill("已编制告知单 32 项并上墙公示。")
    unit.locator("#rectification input[name=files]").set_input_files(str(pdf))
    unit.get_by_role("button", name="提交核验").click()
    expect(unit.locator(".messages")).to_contain_text("已提交核验，等待督查室核验。")
    expect(unit.locator(".page-meta")).to_contain_text("待核验")
    expect(unit.locator("#rectification")).to_contain_text("整改台账.pdf")

    # The inspector rejects it once, with a reason, from the verification queue.
    inspector.get_by_role("navigation", name="主导航").get_by_role("link", name="督查", exact=True).click()
    inspector.get_by_role("link", name="待核验").click()
    row = inspector.locator("tr", has=inspector.get_by_role("link", name=finding.number))
    row.get_by_role("link", name="核验").click()
    inspector.get_by_label("核验意见").fill("整改结果缺少企业回访记录，请补充。")
    inspector.get_by_role("button", name="退回整改").click()
    expect(inspector.locator(".messages")).to_contain_text(f"{finding.number} 已退回整改。")

    # The unit reads the reason on the finding's page, revises the result and resubmits.
    unit.reload()
    expect(unit.locator(".page-meta")).to_contain_text("整改中")
    expect(unit.locator("#timeline")).to_contain_text("整改结果缺少企业回访记录，请补充。")
    expect(unit.get_by_label("整改措施")).to_have_value("制作一次性告知单，窗口和网上同步公开；组织窗口人员培训。")
    unit.get_by_label("整改结果").fill("已编制告知单 32 项并上墙公示；回访企业 12 家，均表示一次性告知到位。")
    unit.get_by_role("button", name="提交核验").click()
    expect(unit.locator(".messages")).to_contain_text("已提交核验")

    # The inspector closes it out.
    inspector.get_by_role("navigation", name="主导航").get_by_role("link", name="督查", exact=True).click()
    inspector.get_by_role("link", name="待核验").click()
    inspector.locator("tr", has=inspector.get_by_role("link", name=finding.number)).get_by_role("link", name="核验").click()
    expect(inspector.locator("#rectification")).to_contain_text("回访企业 12 家")
    inspector.get_by_label("核验意见").fill("经核验，整改到位。")
    inspector.get_by_role("button", name="销号").click()
    expect(inspector.locator(".messages")).to_contain_text(f"{finding.number} 已销号。")
    expect(inspector.locator(".page-meta")).to_contain_text("已销号")
    assert timeline_steps(inspector) == ["登记问题", "开始整改", "提交核验", "退回整改", "提交核验", "销号"]

    # The unit sees it closed, with the whole story.
    unit.reload()
    expect(unit.locator(".page-meta")).to_contain_text("已销号")
    expect(unit.get_by_label("整改结果")).to_have_count(0)
    assert timeline_steps(unit) == ["登记问题", "开始整改", "提交核验", "退回整改", "提交核验", "销号"]
    finding.refresh_from_db()
    assert finding.status == FindingStatus.CLOSED and finding.closed_at
    assert [e.actor.username for e in finding.events.order_by("at", "id")] == [
        "li.duchashi", "chen.shenpi", "chen.shenpi", "li.duchashi", "chen.shenpi", "li.duchashi"]
    assert FindingEvidence.objects.get(finding=finding, stage="rectification").original_name == "整改台账.pdf"
    assert Finding.objects.get(number=f"{prefix}002").status == FindingStatus.OPEN
    assert console_errors == []


def working_days_back(day: datetime.date, count: int) -> datetime.date:
    """The working day ``count`` working days before ``day`` (a working day)."""
    earlier = day
    while working_days_between(earlier, day) < count or not is_working_day(earlier):
        earlier -= datetime.timedelta(days=1)
    return earlier


def test_overdue_finding_shows_its_urge_and_notice_after_the_scan(live_server, open_as, console_errors, people,
                                                                  inspection):
    from playwright.sync_api import expect

    # The morning scan of the last working day; the finding fell due 10 working days before it,
    # so it has reached both 催办 (on the due date) and 督办单 (5 working days overdue).
    scan_day = timezone.localdate()
    while not is_working_day(scan_day):
        scan_day -= datetime.timedelta(days=1)
    finding = finding_create(user=people["inspector"], round_=inspection, data=FindingInput(
        unit=Unit.objects.get(name=LEAD_UNIT), task=Task.objects.get(code="1.1"), severity="general",
        description="帮办代办服务记录不完整，3 个重点项目缺少服务过程记录。", deadline_working_days=10,
        found_on=working_days_back(scan_day, 20)))
    assert working_days_between(finding.due_date, scan_day) == 10
    deadline_scan_job.delay(scan_day.isoformat())
    urge = Escalation.objects.get(finding=finding, level=Level.URGE)
    notice = Escalation.objects.get(finding=finding, level=Level.NOTICE)
    assert notice.notice_code and notice.overdue_days == 10

    # On the unit's list of its findings: red, 10 working days overdue.
    unit = open_as(people["unit"])
    unit.get_by_role("navigation", name="主导航").get_by_role("link", name="督查", exact=True).click()
    row = unit.locator("tr", has=unit.get_by_role("link", name=finding.number))
    expect(row).to_contain_text("逾期 10 个工作日")

    # The finding's timeline shows both steps, the 督办单 with its number.
    row.get_by_role("link", name=finding.number).click()
    expect(unit.locator("#timeline")).to_contain_text("催办 → 行政审批局")
    expect(unit.locator("#timeline")).to_contain_text(f"督办单 {notice.notice_code} → 行政审批局")
    # (Early in a month the same scan also files last month's 通报, which then lists it too.)
    steps = [step for step in timeline_steps(unit) if not step.startswith("通报")]
    assert steps == ["登记问题", "催办 → 行政审批局", f"督办单 {notice.notice_code} → 行政审批局"]

    # The unit's 督办记录 lists them; it opens the 督办单 and answers it.
    unit.get_by_role("navigation", name="主导航").get_by_role("link", name="督办", exact=True).click()
    expect(unit.locator("h1")).to_have_text("督办记录")
    rows = unit.locator("table.ladder-table tbody tr")
    notice_row = rows.filter(has_text=notice.notice_code)
    expect(notice_row).to_have_count(1)
    expect(notice_row).to_contain_text("督办单")
    expect(notice_row).to_contain_text("待回复")
    expect(rows.filter(has_text="催办")).to_have_count(1)
    expect(rows.filter(has_text="催办")).to_contain_text(finding.number)
    notice_row.get_by_role("link", name=re.compile(r"^\d{4}-\d{2}-\d{2}")).click()
    expect(unit.locator("h1")).to_contain_text("督办单")
    unit.get_by_label("回复内容").fill("已明确责任科室，补录服务记录，5 个工作日内提交核验。")
    unit.get_by_role("button", name="提交回复").click()
    expect(unit.locator(".messages")).to_contain_text("回复已提交")
    notice.refresh_from_db()
    assert notice.replied_by == people["unit"] and urge.pk != notice.pk

    # The printable 督办单 carries its number.
    unit.get_by_role("link", name="打印督办单").click()
    expect(unit.locator(".notice-code")).to_have_text(notice.notice_code)
    expect(unit.locator(".notice-sheet")).to_contain_text(finding.number)
    assert console_errors == []
