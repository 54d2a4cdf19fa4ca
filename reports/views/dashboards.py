"""Dashboards (看板): the plan overview, task groups and their drill-down, units, indicators and
the risk board, each as it stood at the end of a chosen month (``?month=YYYY-MM``) of a chosen
plan (``?plan=<id>``, by default the current one).

Each view parses the two parameters, calls one selector of ``reports.selectors.dashboards``
(which scopes the figures to what the user may see) and renders. Every chart's figures are also
a table on the page, and every chart links to the list behind it. The charts' specs (read by
``static/js/dashboard.js`` through ``json_script``) are built at the end of this module from the
selectors' rows: presentation only, no query.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from reports.selectors.dashboards import (
    LIGHTS,
    AsOf,
    DashboardError,
    GroupRow,
    IndicatorBoard,
    IndicatorView,
    Overview,
    TaskRow,
    UnitRow,
    dashboard_as_of,
    dashboard_group_tasks,
    dashboard_groups,
    dashboard_indicators,
    dashboard_overview,
    dashboard_risks,
    dashboard_tasks,
    dashboard_units,
)
from supervision.choices import Level
from tasks.choices import Light, PlanStatus, TaskStatus
from tasks.models import ActionPlan, TaskGroup, User
from tasks.selectors import plan_get, plans_by_choice
from tasks.selectors.state import Attainment

TABS = (
    ("dashboard-overview", "方案总览"),
    ("dashboard-groups", "任务组"),
    ("dashboard-units", "单位排名"),
    ("dashboard-indicators", "指标"),
    ("dashboard-risks", "风险事项"),
)


@dataclass(frozen=True)
class Frame:
    """What every dashboard page shares: the plan, the month shown, the active tab."""

    plan: ActionPlan
    as_of: AsOf
    tab: str
    user: User
    tabs: tuple = TABS

    @property
    def month_value(self) -> str:
        return self.as_of.value

    @property
    def query(self) -> str:
        """``plan=…&month=…``: the tabs and the charts' links keep the plan and the month."""
        return urlencode({"plan": self.plan.pk, "month": self.as_of.value})

    @functools.cached_property
    def expected(self) -> int:
        """序时进度 at the moment shown (the same for every task of the plan)."""
        return self.as_of.summary.expected(user=self.user)

    @property
    def url_overview(self) -> str:
        return self.url("dashboard-overview")

    @property
    def url_groups(self) -> str:
        return self.url("dashboard-groups")

    plans: tuple[ActionPlan, ...] = ()  # to switch between: in force first, then the others

    @property
    def not_in_force_note(self) -> str:
        """Said above every dashboard of a plan that is not in force: an ended plan shows its last
        month (when it was opened by default, no plan being in force), an upcoming one nothing yet."""
        status = self.plan.status
        if status == PlanStatus.ACTIVE:
            return ""
        if status == PlanStatus.UPCOMING:
            return f"《{self.plan.title}》尚未开始执行。"
        return f"《{self.plan.title}》{self.plan.ended_note}，各项数据截至其最后一期填报截止日之后。"

    def url(self, name: str, *args, anchor: str = "", month: str = "", **params: str) -> str:
        """A dashboard page of this plan and month (or of ``month``), with ``params``."""
        query = urlencode({"plan": self.plan.pk, "month": month or self.as_of.value, **params})
        return f"{reverse(name, args=args)}?{query}" + (f"#{anchor}" if anchor else "")


# The switcher offers the plans in force and the newest others: a short list however many plans
# the years pile up (an older one is still shown by its ?plan=).
SWITCHER_PLANS = 6


def dashboard_plan(request: HttpRequest) -> tuple[ActionPlan, list[ActionPlan]]:
    """``?plan=<id>`` among the plans the user sees, or the one in force (else the newest); 404 for
    anything else. With the plans to switch between (1 query; 2 for a plan not among them)."""
    plans = list(plans_by_choice(user=request.user).defer("preamble", "closing_text")[:SWITCHER_PLANS])
    raw = request.GET.get("plan", "")
    if raw and not raw.isdigit():
        raise Http404("没有这个行动方案。")
    plan = next((p for p in plans if p.pk == int(raw)), None) if raw else (plans[0] if plans else None)
    if plan is None and raw:
        plan = plan_get(user=request.user, pk=int(raw))  # 404 when it is not the user's to see
        plans.append(plan)
    if plan is None:
        raise Http404("尚未导入行动方案。")
    return plan, plans


def dashboard_page(tab: str) -> Callable:
    """The frame of a dashboard view: GET only, signed in, the plan and month parsed — a month
    that is malformed or outside the plan answers 400 with the reason — then the view's own part,
    which returns its template and context. A plan that has not started yet has no month to show:
    the same page says so, without blaming the request."""

    def decorate(view: Callable[..., tuple[str, dict]]) -> Callable[..., HttpResponse]:
        @require_GET
        @login_required
        @functools.wraps(view)
        def wrapper(request: HttpRequest, **kwargs) -> HttpResponse:
            plan, plans = dashboard_plan(request)
            try:
                as_of = dashboard_as_of(plan=plan, month=request.GET.get("month") or None)
            except DashboardError as exc:
                status = 400 if request.GET.get("month") else 200
                return render(request, "reports/dashboard_error.html", {"plan": plan, "error": str(exc)}, status=status)
            frame = Frame(plan=plan, as_of=as_of, tab=tab, user=request.user, plans=tuple(plans))
            try:
                template, context = view(request, frame, **kwargs)
            except DashboardError as exc:
                return render(request, "reports/dashboard_error.html", {"plan": plan, "error": str(exc)}, status=400)
            return render(request, template, {"frame": frame, **context})

        return wrapper

    return decorate


@dashboard_page("dashboard-overview")
def overview(request: HttpRequest, frame: Frame) -> tuple[str, dict]:
    """方案总览: lights, statuses, progress against 序时进度 by month, on-time report rate."""
    figures = dashboard_overview(user=request.user, plan=frame.plan, as_of=frame.as_of)
    charts = overview_charts(figures, frame)
    light_links = [(s, item["url"]) for s, item in zip(figures.lights, charts["lights"]["items"], strict=True)]
    status_links = list(zip(figures.statuses, charts["statuses"]["urls"], strict=True))
    return "reports/dashboard_overview.html", {
        "overview": figures, "charts": charts, "light_links": light_links, "status_links": status_links,
        "task_list_url": frame.url("dashboard-tasks"),
    }


@dashboard_page("dashboard-groups")
def groups(request: HttpRequest, frame: Frame) -> tuple[str, dict]:
    """任务组: each group's lights and average progress; a group opens its tasks."""
    rows = dashboard_groups(user=request.user, plan=frame.plan, as_of=frame.as_of)
    return "reports/dashboard_groups.html", {"rows": linked(rows, frame), "charts": group_charts(rows, frame)}


@dashboard_page("dashboard-groups")
def group(request: HttpRequest, frame: Frame, group_id: int) -> tuple[str, dict]:
    """One group's tasks (drill-down): each lead unit's progress, light and reason."""
    task_group = get_object_or_404(TaskGroup, pk=group_id, plan=frame.plan)
    rows = dashboard_group_tasks(user=request.user, plan=frame.plan, as_of=frame.as_of, group_id=group_id)
    context = {"group": task_group, "rows": rows, "charts": task_charts(rows, frame)}
    return "reports/dashboard_group.html", context


@dashboard_page("dashboard-overview")
def tasks(request: HttpRequest, frame: Frame) -> tuple[str, dict]:
    """任务清单: the tasks behind an overview figure (?light=, ?status=), counted as it counts them."""
    light, status = request.GET.get("light", ""), request.GET.get("status", "")
    rows = dashboard_tasks(user=request.user, plan=frame.plan, as_of=frame.as_of, light=light, status=status)
    heading = (f"{Light(light).label}任务" if light else f"审核状态为「{TaskStatus.LABELS[status]}」的任务"
               if status else "全部任务")
    return "reports/dashboard_tasks.html", {"rows": rows, "heading": heading, "charts": task_charts(rows, frame)}


@dashboard_page("dashboard-units")
def units(request: HttpRequest, frame: Frame) -> tuple[str, dict]:
    """单位排名: on-time rate, returns, overdue findings and escalations (a unit sees its card)."""
    rows = dashboard_units(user=request.user, plan=frame.plan, as_of=frame.as_of)
    steps = [[(level.label, row.escalations.get(level.value, 0)) for level in Level] for row in rows]
    context = {"rows": list(zip(rows, steps, strict=True)), "levels": list(Level), "charts": unit_charts(rows, frame),
               "chart_size": "dash-chart-units" if len(rows) > 6 else "dash-chart-small"}
    return "reports/dashboard_units.html", context


@dashboard_page("dashboard-indicators")
def indicators(request: HttpRequest, frame: Frame) -> tuple[str, dict]:
    """指标: the plan's yearly targets first, then each indicator's actuals against its target."""
    board = dashboard_indicators(user=request.user, plan=frame.plan, as_of=frame.as_of)
    context = {"board": board, "rows": indicator_rows(board, frame), **indicator_charts(board, frame)}
    return "reports/dashboard_indicators.html", context


@dashboard_page("dashboard-risks")
def risks(request: HttpRequest, frame: Frame) -> tuple[str, dict]:
    """风险事项: every red and yellow item of reports and findings, red first."""
    rows = dashboard_risks(user=request.user, plan=frame.plan, as_of=frame.as_of)
    red, yellow = [r for r in rows if r.light == Light.RED], [r for r in rows if r.light == Light.YELLOW]
    context = {"red": red, "yellow": yellow,
               "sections": [(Light.RED.value, Light.RED.label, red), (Light.YELLOW.value, Light.YELLOW.label, yellow)]}
    return "reports/dashboard_risks.html", context


# --- charts: the selectors' rows as specs for static/js/dashboard.js ------------------------------

COLOURS = {Light.RED: "#c8102e", Light.YELLOW: "#e0a100", Light.GREEN: "#2e9d57"}
BRAND, EXPECTED, MUTED = "#1a4d8f", "#8a5a00", "#9aa3af"


def linked(rows: list[GroupRow], frame: Frame) -> list[tuple[GroupRow, str]]:
    """Each group with its drill-down link in this plan and month."""
    return [(row, frame.url("dashboard-group", row.group_id)) for row in rows]


def overview_charts(figures: Overview, frame: Frame) -> dict:
    """Lights and statuses → the list of exactly those tasks at the same moment; a month of the
    progress line → the groups as they stood then; the on-time rate → the units' ranking."""
    light_urls = {light: frame.url("dashboard-tasks", light=light.value) for light in LIGHTS}
    return {
        "lights": {"kind": "pie", "items": [
            {"name": s.label, "value": s.count, "color": COLOURS[s.key], "url": light_urls[s.key]}
            for s in figures.lights
        ]},
        "statuses": {"kind": "bar", "categories": [s.label for s in figures.statuses], "urls": [
            frame.url("dashboard-tasks", status=s.key) for s in figures.statuses], "series": [{"name": "任务数", "data": [s.count for s in figures.statuses], "color": BRAND}]},
        "progress": {"kind": "line", "unit": "%", "categories": [p.label for p in figures.series],
                     "urls": [frame.url("dashboard-groups", month=p.value) for p in figures.series], "series": [
                         {"name": "平均完成进度", "data": [p.progress for p in figures.series], "color": BRAND},
                         {"name": "序时进度", "data": [p.expected for p in figures.series], "color": EXPECTED,
                          "dashed": True},
                     ]},
        "on_time": {"kind": "gauge", "name": "按时报送率", "value": figures.on_time_rate,
                    "url": frame.url("dashboard-units")},
    }


def group_charts(rows: list[GroupRow], frame: Frame) -> dict:
    """Lights and average progress per group; a bar opens the group's tasks."""
    urls = [url for _, url in linked(rows, frame)]
    labels = [row.label for row in rows]
    return {
        "lights": {"kind": "hbar", "categories": labels, "urls": urls, "series": [
            {"name": Light(light).label, "data": [getattr(row, light) for row in rows], "color": COLOURS[light],
             "stack": "lights"} for light in (Light.RED, Light.YELLOW, Light.GREEN)
        ]},
        "progress": {"kind": "hbar", "unit": "%", "categories": labels, "urls": urls,
                     "mark": {"value": frame.expected, "label": f"序时进度 {frame.expected}%"},
                     "series": [{"name": "平均完成进度", "data": [row.progress for row in rows], "color": BRAND}]},
    }


def task_charts(rows: list[TaskRow], frame: Frame) -> dict:
    """Each task's progress against 序时进度, coloured by its light; a bar opens the task."""
    return {"progress": {
        "kind": "hbar", "unit": "%", "categories": [f"{row.code} {row.title}" for row in rows],
        "urls": [row.url for row in rows], "mark": {"value": frame.expected, "label": f"序时进度 {frame.expected}%"},
        "series": [{"name": "完成进度", "color": BRAND, "data": [
            {"value": row.progress, "itemStyle": {"color": COLOURS[row.light]}} for row in rows
        ]}],
    }}


def unit_charts(rows: list[UnitRow], frame: Frame) -> dict:
    """The ranking by on-time rate; a bar opens the unit's page."""
    return {"ranking": {
        "kind": "hbar", "unit": "%", "categories": [row.name for row in rows], "urls": [row.url for row in rows],
        "series": [{"name": "按时报送率", "data": [row.on_time_rate for row in rows], "color": BRAND}],
    }}


def indicator_links(board: IndicatorBoard, frame: Frame) -> dict[int, str]:
    """Where each indicator is listed: the task search on its task's code, or the plan page's
    indicators for a plan-level one."""
    plan_list = reverse("plan-detail", args=[frame.plan.pk]) + "#indicators-title"
    by_code = {view.indicator_id: view.task_code for view in board.indicators}
    return {pk: (reverse("task-list") + "?" + urlencode({"plan": frame.plan.pk, "q": code}) if code else plan_list)
            for pk, code in by_code.items()}


def indicator_rows(board: IndicatorBoard, frame: Frame) -> list[tuple[IndicatorView, str, str]]:
    """Each indicator with its link, and the anchor the attainment chart jumps to on the first
    indicator of each attainment."""
    links, seen, rows = indicator_links(board, frame), set(), []
    for view in board.indicators:
        anchor = "" if view.attainment in seen else f"attainment-{view.attainment}"
        seen.add(view.attainment)
        rows.append((view, links[view.indicator_id], anchor))
    return rows


def indicator_charts(board: IndicatorBoard, frame: Frame) -> dict:
    """Attainment counts (→ the table of indicators), and a trend for each indicator that has
    actuals, its target as a reference line (→ where the indicator is listed)."""
    links = indicator_links(board, frame)
    attainment = {"kind": "pie", "items": [
        {"name": s.label, "value": s.count, "color": ATTAINMENT_COLOURS[s.key], "url": f"#attainment-{s.key}"}
        for s in board.attainment
    ]}
    cards = [(view, _trend(view, links[view.indicator_id]), f"trend-{view.indicator_id}")
             for view in board.indicators if view.trend]
    return {"attainment": attainment, "cards": cards}


ATTAINMENT_COLOURS = {Attainment.MET: COLOURS[Light.GREEN], Attainment.AT_RISK: COLOURS[Light.YELLOW],
                      Attainment.MISSED: COLOURS[Light.RED], Attainment.NO_DATA: MUTED}


def _trend(view: IndicatorView, url: str) -> dict:
    months = [month for month, _ in view.trend]
    return {"kind": "line", "categories": months, "urls": [url] * len(months),
            "mark": {"value": float(view.target_value), "label": f"目标 {view.target}"},
            "series": [{"name": view.name, "data": [actual for _, actual in view.trend], "color": BRAND}]}
