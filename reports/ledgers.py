"""Ledgers (工作台账): what each Excel ledger shows, declared once as data.

The writer in ``reports.xlsx`` lays any of them out; a ledger here only names its columns and
how a row object becomes cell values. Column functions read prefetched data only (see
``reports.selectors.ledgers``): an attribute that would hit the database per row does not belong here.
"""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from reports.selectors.ledgers import plan_ledger_tasks
from reports.xlsx import Column, Ledger, ledger_bytes
from tasks.models import ActionPlan, Task, Unit, User

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


def plan_ledger_filename(*, plan: ActionPlan, day: date | None = None) -> str:
    """「西咸新区…（2020年—2022年）任务分工表_20261129.xlsx」, safe on every file system."""
    day = day or timezone.localdate()
    stem = "".join(c for c in f"{plan.title}{PLAN_LEDGER_NAME}" if c.isprintable() and c not in '\\/:*?"<>|')
    return f"{stem}_{day:%Y%m%d}.xlsx"
