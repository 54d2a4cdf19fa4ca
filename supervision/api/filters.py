"""Filters of the supervision API. The rows are already scoped by ``visible_to`` in the views;
a round or a finding named in a filter is chosen among the visible ones only, so that another
unit's id answers 400 exactly like an id that does not exist.

A unit filter takes in the offices inside the unit, as the pages' lists do
(supervision.selectors.finding_list, escalation_list).
"""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone

from supervision.choices import (
    ExtensionStatus,
    FindingStatus,
    ItemKind,
    Level,
    RoundStatus,
    Severity,
)
from supervision.models import (
    Bulletin,
    Escalation,
    ExtensionRequest,
    Finding,
    InspectionRound,
    Rectification,
)
from tasks.models import Unit


def _visible_rounds(request) -> QuerySet[InspectionRound]:
    return InspectionRound.objects.visible_to(request.user)


def _visible_findings(request) -> QuerySet[Finding]:
    return Finding.objects.visible_to(request.user)


def _in_unit(queryset: QuerySet, name: str, unit: Unit) -> QuerySet:
    return queryset.filter(Q(**{name: unit}) | Q(**{f"{name}__parent": unit}))


def _unit_filter(field: str, label: str) -> django_filters.ModelChoiceFilter:
    # field_name is the path to the unit: the method reads it, and so does the schema.
    return django_filters.ModelChoiceFilter(label=label, field_name=field, queryset=Unit.objects.all(), method=_in_unit)


class RoundFilter(django_filters.FilterSet):
    year = django_filters.NumberFilter(label="年度")
    quarter = django_filters.NumberFilter(label="季度")
    status = django_filters.ChoiceFilter(label="状态", choices=RoundStatus.choices)

    class Meta:
        model = InspectionRound
        fields = ["year", "quarter", "status"]


class FindingFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label="状态", choices=FindingStatus.choices)
    unit = _unit_filter("unit", "责任单位（含其内设机构）")
    round = django_filters.ModelChoiceFilter(label="督查轮次", queryset=_visible_rounds)
    severity = django_filters.ChoiceFilter(label="严重程度", choices=Severity.choices)
    overdue = django_filters.BooleanFilter(label="逾期未整改", method="filter_overdue")

    class Meta:
        model = Finding
        fields = ["status", "unit", "round", "severity", "overdue"]

    def filter_overdue(self, queryset: QuerySet[Finding], name: str, value: bool) -> QuerySet[Finding]:
        # Overdue is derived (FindingQuerySet.overdue): past the due date and still owed.
        today = timezone.localdate()
        if value:
            return queryset.overdue(today)
        return queryset.exclude(status__in=FindingStatus.pending_unit(), due_date__lt=today)


class RectificationFilter(django_filters.FilterSet):
    finding = django_filters.ModelChoiceFilter(label="督查问题", queryset=_visible_findings)
    unit = _unit_filter("finding__unit", "责任单位（含其内设机构）")
    submitted = django_filters.BooleanFilter(label="已提交核验", field_name="submitted_at", lookup_expr="isnull",
                                             exclude=True)

    class Meta:
        model = Rectification
        fields = ["finding", "unit", "submitted"]


class ExtensionFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label="状态", choices=ExtensionStatus.choices)
    finding = django_filters.ModelChoiceFilter(label="督查问题", queryset=_visible_findings)
    unit = _unit_filter("finding__unit", "责任单位（含其内设机构）")

    class Meta:
        model = ExtensionRequest
        fields = ["status", "finding", "unit"]


class EscalationFilter(django_filters.FilterSet):
    level = django_filters.ChoiceFilter(label="级别", choices=Level.choices)
    unit = _unit_filter("unit", "责任单位（含其内设机构）")
    item_kind = django_filters.ChoiceFilter(label="事项类型", choices=ItemKind.choices)
    finding = django_filters.ModelChoiceFilter(label="督查问题", queryset=_visible_findings)
    awaiting_reply = django_filters.BooleanFilter(label="待单位回复的催办、督办单", method="filter_awaiting_reply")

    class Meta:
        model = Escalation
        fields = ["level", "unit", "item_kind", "finding", "awaiting_reply"]

    def filter_awaiting_reply(self, queryset: QuerySet[Escalation], name: str, value: bool) -> QuerySet[Escalation]:
        # As Escalation.awaits_reply: a 催办 or 督办单 the unit has not answered yet.
        awaiting = Q(level__in=[Level.URGE, Level.NOTICE], replied_at__isnull=True)
        return queryset.filter(awaiting) if value else queryset.exclude(awaiting)


class BulletinFilter(django_filters.FilterSet):
    year = django_filters.NumberFilter(label="年度")

    class Meta:
        model = Bulletin
        fields = ["year"]
