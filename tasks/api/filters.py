"""Filters of the API. Tasks are filtered exactly as on the task search page (TaskFilter)."""

import django_filters
from django.db.models import QuerySet

from tasks.choices import GroupKind, UnitKind
from tasks.models import ActionPlan, Indicator, Task, TaskGroup, Unit


def _visible_tasks(request) -> QuerySet[Task]:
    return Task.objects.visible_to(request.user)


class UnitFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(label="单位类型", choices=UnitKind.choices)

    class Meta:
        model = Unit
        fields = ["kind"]


class GroupFilter(django_filters.FilterSet):
    plan = django_filters.ModelChoiceFilter(label="行动方案", queryset=ActionPlan.objects.all())
    kind = django_filters.ChoiceFilter(label="类别", choices=GroupKind.choices)

    class Meta:
        model = TaskGroup
        fields = ["plan", "kind"]


class IndicatorFilter(django_filters.FilterSet):
    plan = django_filters.ModelChoiceFilter(label="行动方案", queryset=ActionPlan.objects.all())
    # Chosen among the user's visible tasks only: a task outside the scope answers 400 exactly
    # like an id that does not exist, so the filter tells nothing about other units' tasks.
    task = django_filters.ModelChoiceFilter(label="任务", queryset=_visible_tasks)
    year = django_filters.NumberFilter(label="年度")

    class Meta:
        model = Indicator
        fields = ["plan", "task", "year"]
