"""Filters of the API. Tasks are filtered exactly as on the task search page (TaskFilter)."""

import copy

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema_field

from tasks.choices import GroupKind, UnitKind
from tasks.filters import TaskFilter
from tasks.models import ActionPlan, Indicator, Task, TaskGroup, Unit


def _visible_tasks(request) -> QuerySet[Task]:
    return Task.objects.visible_to(request.user)


class TaskApiFilter(TaskFilter):
    """The page's TaskFilter, unchanged; only the OpenAPI schema learns its ``unit`` type.

    drf-spectacular cannot type a ModelChoiceFilter whose name is not a model field ("unit"
    against Task.units) and that filters through an untyped method. Drop this subclass once
    tasks.filters.TaskFilter.filter_unit carries the same annotation.
    """

    @extend_schema_field({"type": "integer", "description": "单位 ID：该单位或其内设机构承担的任务"})
    def filter_unit(self, queryset, name, value):
        return super().filter_unit(queryset, name, value)


# Filters of their own, not the page's objects: generating the schema builds (and caches) the
# form field of some class-level filters, and a field built too early ignores the 「全部」
# empty_label the task search page sets on its TaskFilter.
TaskApiFilter.base_filters = copy.deepcopy(TaskFilter.base_filters)


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
