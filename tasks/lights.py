"""红黄绿灯: each task, and each lead unit on it, gets a light computed from data.

- red: the last report that fell due was not submitted, or progress is more than
  LIGHT_RED_BEHIND points behind the time-elapsed expected progress (序时进度);
- yellow: the next report is due within LIGHT_DUE_SOON_WORKING_DAYS working days and is not
  submitted, or progress is LIGHT_YELLOW_BEHIND–LIGHT_RED_BEHIND points behind;
- green otherwise. The reason goes with the light (hover and task page).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings

from tasks.choices import Light
from tasks.workdays import working_days_between


@dataclass(frozen=True)
class LightResult:
    light: Light
    reason: str

    @property
    def badge(self) -> str:
        return self.light.badge


def expected_progress(*, start: datetime.date, end: datetime.date, today: datetime.date) -> int:
    """序时进度: the share of the plan's period (its dates in force, by default 1 Jan of the first
    year to 31 Dec of the last) that has elapsed, in whole percent."""
    if today <= start:
        return 0
    if today >= end:
        return 100
    return round(100 * (today - start).days / (end - start).days)


@dataclass(frozen=True)
class DueReport:
    label: str  # 「2026年10月」
    due_date: datetime.date
    submitted: bool
    # Working days from today to the due date, when the caller counted them once for many
    # lights (each count reads the calendar overrides: one query).
    days_left: int | None = None


def unit_light(
    *, today: datetime.date, expected: int, progress: int | None,
    last_due: DueReport | None, next_due: DueReport | None,
) -> LightResult:
    """The light of one lead unit on one task."""
    behind = expected - (progress or 0)
    if last_due and not last_due.submitted:
        return LightResult(Light.RED, f"{last_due.label}进展逾期未报（截止 {last_due.due_date:%Y-%m-%d}）")
    if behind > settings.LIGHT_RED_BEHIND:
        return LightResult(Light.RED, f"完成进度 {progress or 0}%，落后序时进度 {expected}% 达 {behind} 个百分点")
    if next_due and not next_due.submitted:
        days = next_due.days_left
        if days is None:
            days = working_days_between(today, next_due.due_date)
        if days <= settings.LIGHT_DUE_SOON_WORKING_DAYS:
            when = "今天" if days == 0 else f"还有 {days} 个工作日"
            return LightResult(Light.YELLOW, f"{next_due.label}进展{when}到期，尚未提交")
    if behind >= settings.LIGHT_YELLOW_BEHIND:
        return LightResult(Light.YELLOW, f"完成进度 {progress or 0}%，落后序时进度 {expected}% {behind} 个百分点")
    return LightResult(Light.GREEN, f"按时推进：完成进度 {progress or 0}%，序时进度 {expected}%")


def worst(lights: list[LightResult]) -> LightResult:
    """A task's light is the worst of its lead units' lights."""
    if not lights:
        return LightResult(Light.GREEN, "无牵头单位填报要求")
    return max(lights, key=lambda result: result.light.rank)
