"""Filters of the monthly-dispatch API. Tasks are chosen among the user's visible tasks only (a
task outside the scope answers 400 like an id that does not exist); the rows themselves are
already scoped by ``visible_to`` in the views."""

import django_filters
from django.db.models import QuerySet

from tasks.choices import FilingStatus, PeriodStatus
from tasks.models import (
    AnnualWorkPlan,
    Contribution,
    ProgressReport,
    ReportingPeriod,
    Task,
    TaskGroup,
    Unit,
)


def _visible_tasks(request) -> QuerySet[Task]:
    return Task.objects.visible_to(request.user)


class PeriodFilter(django_filters.FilterSet):
    year = django_filters.NumberFilter(label="年度")
    status = django_filters.ChoiceFilter(label="状态", choices=PeriodStatus.choices)

    class Meta:
        model = ReportingPeriod
        fields = ["year", "status"]


class FilingFilter(django_filters.FilterSet):
    """What the review queue filters by: task, task group, filing unit, status, lateness."""

    task = django_filters.ModelChoiceFilter(label="任务", queryset=_visible_tasks)
    group = django_filters.ModelChoiceFilter(label="任务组", field_name="task__group", queryset=TaskGroup.objects.all())
    unit = django_filters.ModelChoiceFilter(label="填报单位", queryset=Unit.objects.all())
    status = django_filters.ChoiceFilter(label="状态", choices=FilingStatus.choices)
    is_late = django_filters.BooleanFilter(label="逾期提交")

    class Meta:
        fields = ["task", "group", "unit", "status", "is_late"]


class ReportFilter(FilingFilter):
    period = django_filters.ModelChoiceFilter(label="填报期", queryset=ReportingPeriod.objects.all())

    class Meta(FilingFilter.Meta):
        model = ProgressReport
        fields = ["period", *FilingFilter.Meta.fields]


class ContributionFilter(FilingFilter):
    period = django_filters.ModelChoiceFilter(label="填报期", queryset=ReportingPeriod.objects.all())

    class Meta(FilingFilter.Meta):
        model = Contribution
        fields = ["period", *FilingFilter.Meta.fields]


class AnnualPlanFilter(FilingFilter):
    year = django_filters.NumberFilter(label="年度")

    class Meta(FilingFilter.Meta):
        model = AnnualWorkPlan
        fields = ["year", *FilingFilter.Meta.fields]
