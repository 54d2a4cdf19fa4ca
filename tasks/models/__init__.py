"""The base domain: units and accounts, action plans, tasks, indicators, the working-day
calendar, monthly dispatch (progress reports and their review) and the notification inbox.

Everything that records the plan or a report keeps its history (django-simple-history), so the
office can see who changed what and the state at any past date.
"""

from tasks.models.calendar import WorkingDayOverride
from tasks.models.directory import Unit, UnitAlias, UnitQuerySet, User, UserQuerySetManager
from tasks.models.dispatch import (
    AnnualWorkPlan,
    Contribution,
    Evidence,
    Filing,
    IndicatorActual,
    ProgressReport,
    ReportingPeriod,
    ReviewEvent,
)
from tasks.models.inbox import Notification
from tasks.models.plan import (
    ActionPlan,
    Indicator,
    PlanImportRun,
    PlanTarget,
    Task,
    TaskAssignment,
    TaskGroup,
    month_bounds,
    owes_q,
)

__all__ = [
    "AnnualWorkPlan", "Contribution", "Evidence", "Filing", "IndicatorActual", "Notification",
    "ProgressReport", "ReportingPeriod", "ReviewEvent",
    "ActionPlan", "Indicator", "month_bounds", "owes_q", "PlanImportRun", "PlanTarget", "Task", "TaskAssignment", "TaskGroup",
    "Unit", "UnitAlias", "UnitQuerySet", "User", "UserQuerySetManager", "WorkingDayOverride",
]
