"""Dashboards (看板) in headless Chromium (Debian's /usr/bin/chromium through Playwright) against the
live server. The office opens each dashboard and every chart is drawn — its canvas has pixels and
its ECharts instance holds the series data —, switches the as-of month with the select and sees
the label and the figures change, and clicks a chart's bar to land on the list behind it.

The history is the page tests' (tests/dashboard_data.py), with one indicator actual so that the
indicators page draws a trend. No page may log a console error (a CSP violation would be one).
Without Chromium the tests skip, unless REQUIRE_BROWSER=1 (CI), where they fail instead.
"""

from __future__ import annotations

import re

import pytest

from reports.services.standings import standings_month_store
from tasks.choices import Role
from tests.conftest import load_seed_plan
from tests.dashboard_data import LEAD_UNIT, history, indicator_reported, lead_tasks
from tests.factories import UserFactory
from tests.test_browser_foundation import browser, console_errors, page, sign_in  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

PASSWORD = "Yingshangban#E2e-2026"
PAGES = ["/dashboards/", "/dashboards/groups/", "/dashboards/units/", "/dashboards/indicators/"]

# Every chart on the page: its canvas pixels that are not transparent, and the number of data
# points its ECharts instance holds across its series.
CHARTS_DRAWN = """() => Array.from(document.querySelectorAll("[data-chart]")).map((el) => {
  const canvas = el.querySelector("canvas");
  const chart = window.echarts.getInstanceByDom(el);
  let inked = 0;
  if (canvas) {
    const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) { inked += 1; } }
  }
  const series = chart ? chart.getOption().series : [];
  return {id: el.id, inked: inked, points: series.reduce((n, s) => n + (s.data ? s.data.length : 0), 0)};
})"""

# The middle of a bar of a horizontal bar chart, in page coordinates.
BAR_POINT = """([id, series, index]) => {
  const el = document.getElementById(id);
  const chart = window.echarts.getInstanceByDom(el);
  const value = chart.getOption().series[series].data[index];
  const v = typeof value === "object" ? value.value : value;
  const [x, y] = chart.convertToPixel({seriesIndex: series}, [v / 2, index]);
  const box = el.getBoundingClientRect();
  return [box.left + x, box.top + y];
}"""


@pytest.fixture
def office_user(transactional_db):
    # Transactional tests flush the database afterwards, so the seed plan is loaded here.
    plan = load_seed_plan()
    unit_user = UserFactory.in_unit(LEAD_UNIT, username="chen.shenpi")
    history(plan, unit_user, lead_tasks(plan, 3))
    indicator_reported(plan, unit_user)
    for month in (11, 12):
        standings_month_store(plan=plan, year=2020, month=month)
    return UserFactory.in_unit("新区党工委组织部（营商办）", role=Role.OFFICE, username="wang.yingshang",
                               full_name="王营商", password=PASSWORD)


def charts_drawn(page) -> list[dict]:  # noqa: F811  (a page, not the fixture)
    from playwright.sync_api import expect

    expect(page.locator("[data-chart] canvas").first).to_be_visible()
    return page.evaluate(CHARTS_DRAWN)


def test_every_chart_is_drawn_the_month_switches_and_a_bar_opens_its_list(live_server, page, console_errors,  # noqa: F811
                                                                          office_user):
    from playwright.sync_api import expect

    sign_in(page, live_server, office_user.username, PASSWORD)
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="看板").click()
    expect(page).to_have_url(f"{live_server.url}/dashboards/")
    expect(page.locator("h1")).to_have_text("方案总览")

    # Every chart of every dashboard is drawn, in December 2020.
    for path in PAGES:
        page.goto(f"{live_server.url}{path}?month=2020-12")
        expect(page.locator("#as-of")).to_have_text("2020年12月末")
        charts = charts_drawn(page)
        expected = page.locator("[data-chart]").count()
        assert len(charts) == expected > 0, path
        for chart in charts:
            assert chart["inked"] > 2000 and chart["points"] > 0, (path, chart)
    assert any(c["id"].startswith("chart-trend-") for c in charts)  # the indicator with an actual

    # The as-of switch: the select submits itself, the tab stays, label and figures change.
    page.goto(f"{live_server.url}/dashboards/?month=2020-12")
    december = page.locator("#figure-progress").inner_text()
    page.get_by_label("数据截至").select_option("2020-11")
    expect(page).to_have_url(re.compile(r"/dashboards/\?plan=\d+&month=2020-11$"))
    expect(page.locator("#as-of")).to_have_text("2020年11月末")
    expect(page.locator("h1")).to_have_text("方案总览")
    november = page.locator("#figure-progress").inner_text()
    assert november != december and float(november.rstrip("%")) < float(december.rstrip("%"))
    assert all(c["inked"] > 2000 for c in charts_drawn(page))

    # The tab keeps the month; a group's bar opens its tasks, a task's bar opens the task.
    page.get_by_role("navigation", name="看板").get_by_role("link", name="任务组").click()
    expect(page.locator("#as-of")).to_have_text("2020年11月末")
    charts_drawn(page)
    page.mouse.click(*page.evaluate(BAR_POINT, ["chart-group-progress", 0, 0]))
    expect(page).to_have_url(re.compile(r"/dashboards/groups/\d+/\?plan=\d+&month=2020-11$"))
    expect(page.locator("h1")).to_contain_text("（一）")
    expect(page.locator("#as-of")).to_have_text("2020年11月末")
    charts_drawn(page)
    page.mouse.click(*page.evaluate(BAR_POINT, ["chart-task-progress", 0, 0]))
    expect(page).to_have_url(re.compile(r"/tasks/\d+/$"))
    expect(page.locator("h1")).to_contain_text("1.1")

    # A unit's bar in the ranking opens the unit's page.
    page.goto(f"{live_server.url}/dashboards/units/?month=2020-12")
    charts_drawn(page)
    page.mouse.click(*page.evaluate(BAR_POINT, ["chart-ranking", 0, 0]))
    expect(page).to_have_url(re.compile(r"/units/\d+/$"))
    expect(page.locator("h1")).to_contain_text(LEAD_UNIT)

    # The risk board: its tables, red first.
    page.goto(f"{live_server.url}/dashboards/risks/?month=2020-12")
    expect(page.locator("#table-risk-red tbody tr").first).to_be_visible()
    assert page.locator("#risk-red").bounding_box()["y"] < page.locator("#risk-yellow").bounding_box()["y"]

    assert console_errors == []
