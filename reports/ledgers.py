"""Ledgers (工作台账): what each Excel ledger shows, declared once as data.

The writer in ``reports.xlsx`` lays any of them out; a ledger here only names its columns and
how a row object becomes cell values. Column functions read prefetched data only (see
``reports.selectors.ledgers``): an attribute that would hit the database per row does not belong here.

The task ledger (任务台账) has one row per task, as the office's own ledger numbers them: a task
with several lead units shows each unit's 本月进展 / 存在问题 / 下月计划 under the unit's short
name and its 审核状态 per unit; its 完成进度 and 灯 are the task's, from the one as-of state
(the lead units' mean progress and the worst of their lights), as on every page and in the API.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils import timezone

from reports.selectors.ledgers import (
    IndicatorLedgerRow,
    LedgerReport,
    TaskLedgerRow,
    finding_ledger_findings,
    finding_ledger_rows,
    indicator_ledger_indicators,
    indicator_ledger_plan,
    indicator_ledger_rows,
    ledger_month,
    ledger_period,
    ledger_plan_titles,
    plan_ledger_tasks,
    task_ledger_rows,
    task_ledger_tasks,
)
from reports.xlsx import LIGHT_FILLS, Column, Ledger, ledger_bytes
from supervision.models import Finding
from tasks.choices import Comparator, FilingStatus, Light
from tasks.models import ActionPlan, Indicator, ReportingPeriod, Task, Unit, User
from tasks.selectors.state import Attainment

UNIT_SEPARATOR = "、"


def _group_label(task: Task) -> str:
    group = task.group  # selected with the task
    return f"{group.numeral}{group.title}"


def _unit_names(units: list[Unit]) -> str:
    """Full directory names in the document's order, each unit once."""
    return UNIT_SEPARATOR.join(dict.fromkeys(unit.name for unit in units))


def _indicator_lines(task: Task) -> str:
    """「用水报装办结时间：≤ 3 个工作日（方案期内）」, one indicator a line."""
    return "\n".join(
        f"{i.name}：{i.target_display}（{i.period_display}）" for i in task.indicators.all()
    )


# 任务分工表: one row per task of the plan.
PLAN_LEDGER_COLUMNS: tuple[Column[Task], ...] = (
    Column.serial("序号", width=6),
    Column("任务组", 20, _group_label),
    Column("任务编号", 9, lambda task: task.code, align="center"),
    Column("任务名称", 24, lambda task: task.title),
    Column("牵头单位", 22, lambda task: _unit_names(task.lead_units)),
    Column("配合单位", 34, lambda task: _unit_names(task.supporting_units)),
    Column("指标", 40, _indicator_lines),
)

PLAN_LEDGER_NAME = "任务分工表"


def export_date_label(day: date) -> str:
    """「导出日期：2026年11月29日」."""
    return f"导出日期：{day.year}年{day.month}月{day.day}日"


def as_of_label(day: date) -> str:
    """「截至2026年11月29日」."""
    return f"截至{day.year}年{day.month}月{day.day}日"


def plan_ledger(*, plan: ActionPlan, day: date | None = None) -> Ledger[Task]:
    return Ledger(
        title=f"{plan.title}{PLAN_LEDGER_NAME}",
        subtitle=export_date_label(day or timezone.localdate()),
        sheet_name=PLAN_LEDGER_NAME,
        columns=PLAN_LEDGER_COLUMNS,
    )


def plan_ledger_xlsx(*, user: User, plan: ActionPlan, day: date | None = None) -> tuple[bytes, int]:
    """The 任务分工表 of a plan as the user may see it: the file and its number of rows."""
    tasks = plan_ledger_tasks(user=user, plan=plan)
    return ledger_bytes(ledger=plan_ledger(plan=plan, day=day), rows=tasks), len(tasks)


def safe_filename(stem: str, day: date) -> str:
    """「…任务台账_20261129.xlsx」, safe on every file system."""
    stem = "".join(c for c in stem if c.isprintable() and c not in '\\/:*?"<>|')
    return f"{stem}_{day:%Y%m%d}.xlsx"


def plan_ledger_filename(*, plan: ActionPlan, day: date | None = None) -> str:
    """「西咸新区…（2020年—2022年）任务分工表_20261129.xlsx」."""
    return safe_filename(f"{plan.title}{PLAN_LEDGER_NAME}", day or timezone.localdate())


# --- 任务台账 -----------------------------------------------------------------------------------

TASK_LEDGER_NAME = "任务台账"


def _light_fill(light: Light | str | None) -> str | None:
    return LIGHT_FILLS.get(str(light)) if light else None


def _per_unit(row: TaskLedgerRow, text: Callable[[LedgerReport], str]) -> str:
    """One unit's text as it is; several units' each under its short name."""
    reports = [r for r in row.reports if text(r)]
    if len(row.lead_units) <= 1:
        return text(reports[0]) if reports else ""
    return "\n".join(f"【{_short_name(row, r.unit_id)}】{text(r)}" for r in reports)


def _short_name(row: TaskLedgerRow, unit_id: int) -> str:
    unit = next((u for u in row.lead_units if u.pk == unit_id), None)
    return (unit.short_name or unit.name) if unit else ""


def _progress(row: TaskLedgerRow) -> float | None:
    return row.state.progress if row.state else None


def _review_status(row: TaskLedgerRow) -> str:
    leads = row.lead_units
    by_unit = {r.unit_id: FilingStatus(r.status).label for r in row.reports}
    if len(leads) <= 1:
        return next(iter(by_unit.values()), "未报送")
    return "\n".join(f"{u.short_name or u.name}：{by_unit.get(u.pk, '未报送')}" for u in leads)


def _task_indicators(row: TaskLedgerRow) -> str:
    return "\n".join(f"{i.name}：{i.target_display}（{i.period_display}）" for i in row.indicators)


TASK_LEDGER_COLUMNS: tuple[Column[TaskLedgerRow], ...] = (
    Column.serial("序号", width=6),
    Column("任务组", 16, lambda row: _group_label(row.task)),
    Column("任务", 26, lambda row: f"{row.task.code} {row.task.title}"),
    Column("牵头单位", 18, lambda row: _unit_names(row.lead_units)),
    Column("配合单位", 22, lambda row: _unit_names(row.supporting_units)),
    Column("年度目标/指标", 26, _task_indicators),
    Column("完成时限", 16, lambda row: row.task.time_node),
    Column("本月进展", 32, lambda row: _per_unit(row, lambda r: r.completed)),
    Column("存在问题", 22, lambda row: _per_unit(row, lambda r: r.problems)),
    Column("下月计划", 24, lambda row: _per_unit(row, lambda r: r.next_plan)),
    Column("完成进度（%）", 9, _progress, align="right", number_format="0.0"),
    Column("灯", 7, lambda row: Light(row.state.light).label if row.state else "", align="center",
           fill=lambda row: _light_fill(row.state.light) if row.state else None),
    Column("审核状态", 14, _review_status, align="center"),
)


# --- 督查问题整改台账 ---------------------------------------------------------------------------

FINDING_LEDGER_NAME = "督查问题整改台账"


def _rectification(finding: Finding, field_name: str) -> str:
    # Selected with the finding (select_related("rectification")): no query here.
    rectification = getattr(finding, "rectification", None)
    return getattr(rectification, field_name) if rectification else ""


FINDING_LEDGER_COLUMNS: tuple[Column[Finding], ...] = (
    Column.serial("序号", width=6),
    Column("问题编号", 14, lambda f: f.number, align="center"),
    Column("督查轮次", 18, lambda f: f.round.title),
    Column("发现日期", 11, lambda f: f.found_on, align="center"),
    Column("相关任务", 20, lambda f: f"{f.task.code} {f.task.title}" if f.task else ""),
    Column("责任单位", 18, lambda f: f.unit.name),
    Column("问题描述", 32, lambda f: f.description),
    Column("严重程度", 8, lambda f: f.get_severity_display(), align="center"),
    Column("整改时限（工作日）", 9, lambda f: f.deadline_working_days, align="right", number_format="0"),
    Column("整改截止日期", 11, lambda f: f.due_date, align="center"),
    Column("状态", 8, lambda f: f.get_status_display(), align="center"),
    Column("整改措施", 28, lambda f: _rectification(f, "measures")),
    Column("整改结果", 24, lambda f: _rectification(f, "result")),
    Column("销号日期", 11, lambda f: timezone.localtime(f.closed_at).date() if f.closed_at else None, align="center"),
    Column("逾期工作日", 8, lambda f: f.overdue_days, align="right", number_format="0"),
    Column("灯", 7, lambda f: f.light.light.label, align="center", fill=lambda f: _light_fill(f.light.light)),
)


# --- 指标台账 -----------------------------------------------------------------------------------

INDICATOR_LEDGER_NAME = "指标台账"


def _target(row: IndicatorLedgerRow, year: int):
    indicator = row.indicator
    if not row.years[year].applies:
        return None
    if indicator.target_max is not None:
        return f"{_plain(indicator.target_value)}–{_plain(indicator.target_max)}"
    return indicator.target_value


def _plain(value) -> str:
    return format(value.normalize(), "f")


def _comparator(indicator: Indicator) -> str:
    # A bare 「=」 would be neutralised to 「'=」; the full-width sign reads the same on paper.
    return "＝" if indicator.comparator == Comparator.EQ else indicator.get_comparator_display()


def _attainment_fill(row: IndicatorLedgerRow, year: int) -> str | None:
    attainment = row.years[year].attainment
    return _light_fill(Attainment.LIGHTS[attainment]) if attainment else None


def _year_columns(year: int) -> list[Column[IndicatorLedgerRow]]:
    return [
        Column(f"{year}年目标", 10, lambda row: _target(row, year), align="right"),
        Column(f"{year}年实际", 10, lambda row: row.years[year].actual, align="right"),
        Column(f"{year}年达成", 8, lambda row: Attainment.LABELS.get(row.years[year].attainment or "", ""),
               align="center", fill=lambda row: _attainment_fill(row, year)),
    ]


def indicator_ledger_columns(plan: ActionPlan) -> tuple[Column[IndicatorLedgerRow], ...]:
    """Fixed columns, then target, latest actual and attainment for each year of the plan."""
    return (
        Column.serial("序号", width=6),
        Column("指标", 28, lambda row: row.indicator.name),
        Column("所属任务", 22, lambda row: (f"{row.indicator.task.code} {row.indicator.task.title}"
                                            if row.indicator.task else "工作目标")),
        Column("计量单位", 10, lambda row: row.indicator.unit_of_measure, align="center"),
        Column("比较", 6, lambda row: _comparator(row.indicator), align="center"),
        *(column for year in plan.years for column in _year_columns(year)),
    )


# --- exports: what a download or a job writes ---------------------------------------------------


@dataclass
class LedgerExport:
    """A ledger resolved for one user and one set of filters, its rows not yet read."""

    ledger: Ledger[Any]
    rows: Iterable[Any]
    total: int
    filename: str
    fallback: str  # ASCII download name


def _title_plan(titles: list[str]) -> str:
    if not titles:
        return ""
    if len(titles) == 1:
        return titles[0]
    return f"{titles[0]}等{len(titles)}个行动方案"


def task_ledger_export(*, user: User, params: Mapping[str, str], today: date | None = None) -> LedgerExport:
    """The task ledger of the task search page's filters, ``?period=`` (the reports shown; default:
    the newest period whose reports are in) and ``?month=`` (the lights as of that month, as the
    task API gives them; default: now). 3 queries before the rows: period, plans, count."""
    today = today or timezone.localdate()
    tasks = task_ledger_tasks(user=user, params=params)
    period = ledger_period(params=params)
    month = ledger_month(params=params)
    name = f"{_title_plan(ledger_plan_titles(tasks=tasks))}{TASK_LEDGER_NAME}"
    as_of = f"红黄绿灯截至{month[0]}年{month[1]}月末" if month else as_of_label(today)
    ledger = Ledger(
        title=f"{name}（{as_of}）",
        subtitle=_period_line(period, today),
        sheet_name=TASK_LEDGER_NAME,
        columns=TASK_LEDGER_COLUMNS,
    )
    rows = task_ledger_rows(user=user, tasks=tasks, period=period, today=today, month=month)
    return LedgerExport(ledger, rows, tasks.count(), safe_filename(name, today), f"task-ledger-{today:%Y%m%d}.xlsx")


def _period_line(period: ReportingPeriod | None, today: date) -> str:
    reported = f"进展填报期：{period.label}" if period else "进展填报期：暂无"
    return f"{reported}　　{export_date_label(today)}"


def finding_ledger_export(*, user: User, params: Mapping[str, str], today: date | None = None) -> LedgerExport:
    """The findings ledger of the findings page's filters (1 query before the rows: count)."""
    today = today or timezone.localdate()
    findings = finding_ledger_findings(user=user, params=params, today=today)
    ledger = Ledger(
        title=f"{FINDING_LEDGER_NAME}（{as_of_label(today)}）",
        subtitle=export_date_label(today),
        sheet_name=FINDING_LEDGER_NAME,
        columns=FINDING_LEDGER_COLUMNS,
    )
    rows = finding_ledger_rows(findings=findings, today=today)
    return LedgerExport(ledger, rows, findings.count(), safe_filename(FINDING_LEDGER_NAME, today),
                        f"finding-ledger-{today:%Y%m%d}.xlsx")


def indicator_ledger_export(*, user: User, params: Mapping[str, str], today: date | None = None) -> LedgerExport:
    """The indicator ledger of ``?plan=`` (default: the current plan). 2 queries before the rows."""
    today = today or timezone.localdate()
    plan = indicator_ledger_plan(user=user, params=params)
    indicators = indicator_ledger_indicators(user=user, plan=plan)
    name = f"{plan.title if plan else ''}{INDICATOR_LEDGER_NAME}"
    ledger = Ledger(
        title=f"{name}（{as_of_label(today)}）",
        subtitle=export_date_label(today),
        sheet_name=INDICATOR_LEDGER_NAME,
        columns=indicator_ledger_columns(plan) if plan else (Column.serial(),),
    )
    rows = indicator_ledger_rows(indicators=indicators, plan=plan, today=today) if plan else []
    return LedgerExport(ledger, rows, indicators.count(), safe_filename(name, today),
                        f"indicator-ledger-{today:%Y%m%d}.xlsx")


LEDGER_EXPORTS: dict[str, Callable[..., LedgerExport]] = {
    "tasks": task_ledger_export,
    "findings": finding_ledger_export,
    "indicators": indicator_ledger_export,
}


def ledger_export(*, kind: str, user: User, params: Mapping[str, str], today: date | None = None) -> LedgerExport:
    """Any of the three ledgers by its ``ExportJob.Kind`` value; LedgerParamsError on bad filters."""
    return LEDGER_EXPORTS[kind](user=user, params=params, today=today)
