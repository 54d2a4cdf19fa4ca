"""Reads of the reports layer. Everything goes through the selectors of ``tasks``, so that a
ledger shows exactly the rows its reader may see."""

from __future__ import annotations

from django.db.models import Prefetch

from tasks.choices import Role
from tasks.models import ActionPlan, Indicator, Task, User
from tasks.selectors import task_list


def office_scope_user() -> User:
    """An unsaved account with the office's role, for commands run by the operator.

    A command has no signed-in user but must read what the office reads; going through the
    same ``visible_to`` keeps one definition of scope instead of a bypass.
    """
    return User(username="manage.py", full_name="系统导出", role=Role.OFFICE)


def plan_ledger_tasks(*, user: User, plan: ActionPlan) -> list[Task]:
    """The plan's active tasks the user may see, in document order, ready for the ledger.

    Three queries whatever the number of tasks: tasks with group and plan, assignments with
    their units, indicators; plus one for a unit user's scope (its unit and offices).
    """
    indicators = Prefetch("indicators", queryset=Indicator.objects.order_by("sort_order", "id"))
    tasks = task_list(user=user).filter(plan=plan).prefetch_related(indicators)
    return list(tasks.order_by("sort_order", "id"))
