"""Filters and forms of the office's review pages (审核): the queue's filters for each kind of
filing, the review action, bulk approval and opening a reporting period. They shape and check
input; the review rules themselves live in ``tasks.services.dispatch``."""

from __future__ import annotations

import django_filters
from django import forms
from django.http import QueryDict

from tasks.choices import FilingStatus
from tasks.models import (
    AnnualWorkPlan,
    Contribution,
    ProgressReport,
    ReportingPeriod,
    TaskGroup,
    Unit,
)
from tasks.selectors import dispatch as dispatch_selectors

ALL_STATUSES = "all"
STATUS_CHOICES = [
    (FilingStatus.SUBMITTED.value, FilingStatus.SUBMITTED.label),
    (FilingStatus.RETURNED.value, FilingStatus.RETURNED.label),
    (FilingStatus.APPROVED.value, FilingStatus.APPROVED.label),
    (ALL_STATUSES, "全部"),
]
LATENESS_CHOICES = [("late", "逾期"), ("on_time", "按时")]


class ReportReviewFilter(django_filters.FilterSet):
    """审核队列 of progress reports: 待审核 unless another status is asked for."""

    status = django_filters.ChoiceFilter(label="状态", choices=STATUS_CHOICES, empty_label=None, method="filter_status")
    period = django_filters.ModelChoiceFilter(label="填报期", queryset=ReportingPeriod.objects.all(), empty_label="全部")
    group = django_filters.ModelChoiceFilter(
        label="任务组", field_name="task__group", empty_label="全部",
        queryset=TaskGroup.objects.select_related("plan").order_by("plan", "kind", "number"),
    )
    unit = django_filters.ModelChoiceFilter(label="单位", queryset=Unit.objects.assignable(), empty_label="全部")
    late = django_filters.ChoiceFilter(label="逾期", choices=LATENESS_CHOICES, empty_label="全部", method="filter_late")

    class Meta:
        model = ProgressReport
        fields = ["status", "period", "group", "unit", "late"]

    def __init__(self, data: QueryDict | None = None, *args, **kwargs):
        # Always bound: with no status chosen the queue shows what awaits review.
        data = data.copy() if data is not None else QueryDict(mutable=True)
        if not data.get("status"):
            data["status"] = FilingStatus.SUBMITTED
        super().__init__(data, *args, **kwargs)
        # Choices of the recent plans only: the lists stay short however many years pass.
        for name, queryset in (("period", dispatch_selectors.recent_periods()),
                               ("group", dispatch_selectors.recent_groups()),
                               ("unit", dispatch_selectors.recent_units())):
            if name in self.form.fields:
                self.form.fields[name].queryset = queryset
        group = self.form.fields["group"]
        group.label_from_instance = lambda g: f"{g.numeral}{g.title}"
        # A copied widget keeps the choices of the cached field; bind it to this form's field.
        for name in ("period", "group", "unit"):
            if name in self.form.fields:
                self.form.fields[name].widget.choices = self.form.fields[name].choices

    def filter_queryset(self, queryset):
        # Drafts are the unit's own business, whatever the filters say.
        return super().filter_queryset(queryset.exclude(status=FilingStatus.DRAFT))

    def filter_status(self, queryset, name, value):
        if value == FilingStatus.SUBMITTED:
            return queryset.filter(status=value)  # the work to do: oldest submission first
        # What was already handled reads as a record: the newest first.
        rows = queryset if value == ALL_STATUSES else queryset.filter(status=value)
        return rows.order_by("-submitted_at", "-id")

    def filter_late(self, queryset, name, value):
        return queryset.filter(is_late=value == "late")


class ContributionReviewFilter(ReportReviewFilter):
    class Meta:
        model = Contribution
        fields = ["status", "period", "group", "unit", "late"]


class AnnualPlanReviewFilter(ReportReviewFilter):
    period = None
    year = django_filters.ChoiceFilter(label="年度", empty_label="全部", choices=[])

    class Meta:
        model = AnnualWorkPlan
        fields = ["status", "year", "group", "unit", "late"]

    def __init__(self, *args, years: list[int] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.form.fields["year"].choices = [(str(y), f"{y}年") for y in years]


class ReviewForm(forms.Form):
    """One review action on one filing, with its comment (意见 / 理由)."""

    action = forms.ChoiceField(
        choices=[("approve", "审核通过"), ("return", "退回修改"), ("reopen", "重新打开")],
        widget=forms.HiddenInput,
    )
    comment = forms.CharField(
        label="意见", required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class BulkApproveForm(forms.Form):
    """批量通过: the ticked filings of one kind, all found in the office's queue."""

    ids = forms.ModelMultipleChoiceField(
        queryset=ProgressReport.objects.none(),
        error_messages={
            "required": "请先勾选要通过的填报。",
            "invalid_choice": "所选填报已不存在。",
            "invalid_pk_value": "所选填报已不存在。",
        },
    )

    def __init__(self, *args, queue, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ids"].queryset = queue


class PeriodOpenForm(forms.Form):
    """开启填报期: a month to open for reporting."""

    year = forms.IntegerField(
        label="年度", min_value=2000, max_value=2100,
        error_messages={"required": "请填写年度。", "invalid": "年度应为数字。",
                        "min_value": "年度不能早于 %(limit_value)s 年。", "max_value": "年度不能晚于 %(limit_value)s 年。"},
    )
    month = forms.TypedChoiceField(
        label="月份", coerce=int, choices=[(m, f"{m}月") for m in range(1, 13)],
        error_messages={"required": "请选择月份。", "invalid_choice": "月份应为 1 到 12。"},
    )
