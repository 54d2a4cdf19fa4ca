"""The task filters shared by the task search page and the task API."""

import django_filters
from drf_spectacular.utils import extend_schema_field

from tasks.choices import AssignmentRole, GroupKind
from tasks.models import ActionPlan, Task, TaskGroup, Unit
from tasks.selectors import plan_current


class TaskFilter(django_filters.FilterSet):
    plan = django_filters.ModelChoiceFilter(label="行动方案", queryset=ActionPlan.objects.all())
    group = django_filters.ModelChoiceFilter(
        label="任务组", queryset=TaskGroup.objects.select_related("plan").order_by("plan", "kind", "number"),
    )
    unit = django_filters.ModelChoiceFilter(
        label="单位", queryset=Unit.objects.assignable(), method="filter_unit",
    )
    role = django_filters.ChoiceFilter(label="角色", choices=AssignmentRole.choices, method="filter_role")
    kind = django_filters.ChoiceFilter(label="类别", choices=GroupKind.choices, field_name="group__kind")
    q = django_filters.CharFilter(label="关键词", method="filter_text")

    class Meta:
        model = Task
        fields = ["plan", "group", "unit", "role", "kind", "q"]

    # "unit" is no field of Task: tell the OpenAPI schema its type.
    @extend_schema_field({"type": "integer", "description": "单位 ID：该单位或其内设机构承担的任务"})
    def filter_unit(self, queryset, name, value):
        return queryset.for_unit(value, self.form.cleaned_data.get("role") or None)

    def filter_role(self, queryset, name, value):
        # With a unit, the role narrows filter_unit; without one it has nothing to apply to.
        return queryset

    def filter_text(self, queryset, name, value):
        return queryset.search(value)


def task_filter_params(params, *, user) -> dict:
    """The task search's parameters, choosing a plan when none was asked for: the plan in force
    (else the newest). ``?plan=`` given empty keeps every plan."""
    chosen = dict(params.items())
    if "plan" not in chosen and (plan := plan_current(user=user)) is not None:
        chosen["plan"] = str(plan.pk)
    return chosen
