"""Serializers of the monthly-dispatch API (月调度): periods, progress reports, contributions and
annual work plans.

Input serializers only parse what the client sends (types, lengths, ids that exist); whether it
may be saved, submitted or reviewed is decided by tasks.services.dispatch. Output serializers
shape rows and decide nothing; the comments name the loading each field relies on.

Status codes are plain strings where the same choices would appear under a second field name
(period status, a review step's from/to status): one choice set per field name keeps the schema's
enum names unambiguous without project-wide overrides.
"""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from tasks.models import (
    AnnualWorkPlan,
    Contribution,
    Evidence,
    IndicatorActual,
    ProgressReport,
    ReportingPeriod,
    ReviewEvent,
    Task,
)

# --- output -------------------------------------------------------------------------------------


@extend_schema_serializer(component_name="ReportingPeriod")
class PeriodOutputSerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True, help_text="如「2021年3月」")
    status = serializers.CharField(read_only=True, help_text="open 填报中；closed 已关闭")
    status_display = serializers.CharField(source="get_status_display", read_only=True, help_text="状态名称")

    class Meta:
        model = ReportingPeriod
        fields = ["id", "year", "month", "label", "due_date", "due_provisional", "status", "status_display"]
        read_only_fields = fields


@extend_schema_serializer(component_name="ReviewEvent")
class ReviewEventOutputSerializer(serializers.ModelSerializer):
    # Needs the events prefetched with select_related("actor").
    action_display = serializers.CharField(source="get_action_display", read_only=True, help_text="操作名称")
    from_status = serializers.CharField(read_only=True, help_text="原状态代码，取值同填报的 status")
    to_status = serializers.CharField(read_only=True, help_text="新状态代码，取值同填报的 status")
    actor_name = serializers.CharField(source="actor", read_only=True, help_text="操作人")

    class Meta:
        model = ReviewEvent
        fields = ["id", "action", "action_display", "from_status", "to_status", "comment", "is_late",
                  "actor", "actor_name", "at"]
        read_only_fields = fields


@extend_schema_serializer(component_name="IndicatorActual")
class ActualOutputSerializer(serializers.ModelSerializer):
    # Needs the actuals prefetched with select_related("indicator").
    indicator_name = serializers.CharField(source="indicator.name", read_only=True, help_text="指标名称")
    unit_of_measure = serializers.CharField(source="indicator.unit_of_measure", read_only=True, help_text="计量单位")
    target_display = serializers.CharField(source="indicator.target_display", read_only=True, help_text="目标")

    class Meta:
        model = IndicatorActual
        fields = ["indicator", "indicator_name", "value", "unit_of_measure", "target_display"]
        read_only_fields = fields


@extend_schema_serializer(component_name="Evidence")
class EvidenceOutputSerializer(serializers.ModelSerializer):
    # Needs the evidence prefetched with select_related("uploaded_by").
    uploaded_by_name = serializers.CharField(source="uploaded_by", read_only=True, help_text="上传人")
    download_url = serializers.SerializerMethodField(help_text="下载地址；门户未提供下载页面时为 null")

    class Meta:
        model = Evidence
        fields = ["id", "original_name", "extension", "content_type", "size", "uploaded_by",
                  "uploaded_by_name", "uploaded_at", "download_url"]
        read_only_fields = fields

    def get_download_url(self, evidence: Evidence) -> str | None:
        # The download page belongs to the portal's pages; the API links to it once it exists.
        try:
            path = reverse("evidence-download", args=[evidence.pk])
        except NoReverseMatch:
            return None
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class FilingOutputSerializer(serializers.ModelSerializer):
    """Fields shared by the three kinds of filing. Needs select_related("task", "unit")."""

    task_code = serializers.CharField(source="task.code", read_only=True, help_text="任务编号")
    task_title = serializers.CharField(source="task.title", read_only=True, help_text="任务名称")
    unit_name = serializers.CharField(source="unit.name", read_only=True, help_text="填报单位全称")
    status_display = serializers.CharField(source="get_status_display", read_only=True, help_text="状态名称")

    class Meta:
        fields = ["id", "task", "task_code", "task_title", "unit", "unit_name", "status", "status_display",
                  "is_late", "submitted_at", "created_at", "updated_at"]


@extend_schema_serializer(component_name="ProgressReport")
class ReportOutputSerializer(FilingOutputSerializer):
    # Needs select_related("period") on top of the filing's loading.
    period_label = serializers.CharField(source="period.label", read_only=True, help_text="填报期")

    class Meta:
        model = ProgressReport
        fields = [*FilingOutputSerializer.Meta.fields, "period", "period_label", "completed", "problems",
                  "next_plan", "progress"]
        read_only_fields = fields


@extend_schema_serializer(component_name="ProgressReportDetail")
class ReportDetailOutputSerializer(ReportOutputSerializer):
    # Needs prefetch_related of actuals, evidence and events (see the view's queryset).
    actuals = ActualOutputSerializer(many=True, read_only=True, help_text="指标实际值")
    evidence = EvidenceOutputSerializer(many=True, read_only=True, help_text="佐证材料")
    events = ReviewEventOutputSerializer(many=True, read_only=True, help_text="审核记录，按时间先后")

    class Meta(ReportOutputSerializer.Meta):
        fields = [*ReportOutputSerializer.Meta.fields, "actuals", "evidence", "events"]
        read_only_fields = fields


@extend_schema_serializer(component_name="Contribution")
class ContributionOutputSerializer(FilingOutputSerializer):
    # Needs select_related("period") on top of the filing's loading.
    period_label = serializers.CharField(source="period.label", read_only=True, help_text="填报期")

    class Meta:
        model = Contribution
        fields = [*FilingOutputSerializer.Meta.fields, "period", "period_label", "text"]
        read_only_fields = fields


@extend_schema_serializer(component_name="ContributionDetail")
class ContributionDetailOutputSerializer(ContributionOutputSerializer):
    events = ReviewEventOutputSerializer(many=True, read_only=True, help_text="审核记录，按时间先后")

    class Meta(ContributionOutputSerializer.Meta):
        fields = [*ContributionOutputSerializer.Meta.fields, "events"]
        read_only_fields = fields


@extend_schema_serializer(component_name="AnnualWorkPlan")
class AnnualPlanOutputSerializer(FilingOutputSerializer):
    class Meta:
        model = AnnualWorkPlan
        fields = [*FilingOutputSerializer.Meta.fields, "year", "due_date", "content"]
        read_only_fields = fields


@extend_schema_serializer(component_name="AnnualWorkPlanDetail")
class AnnualPlanDetailOutputSerializer(AnnualPlanOutputSerializer):
    evidence = EvidenceOutputSerializer(many=True, read_only=True, help_text="佐证材料")
    events = ReviewEventOutputSerializer(many=True, read_only=True, help_text="审核记录，按时间先后")

    class Meta(AnnualPlanOutputSerializer.Meta):
        fields = [*AnnualPlanOutputSerializer.Meta.fields, "evidence", "events"]
        read_only_fields = fields


# --- input --------------------------------------------------------------------------------------
#
# A draft keeps whatever was typed: no content field is required here. What a submission needs
# (本月完成情况, 下月计划, 完成进度 …) and the range of 完成进度 are the services' rules.


def _text(label: str) -> serializers.CharField:
    return serializers.CharField(required=False, allow_blank=True, default="", help_text=label)


@extend_schema_serializer(component_name="IndicatorActualInput")
class ActualInputSerializer(serializers.Serializer):
    indicator = serializers.IntegerField(help_text="指标 ID：该任务当年（或整个方案期）的指标")
    value = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True, help_text="实际值；null 清除已填的值")


@extend_schema_serializer(component_name="ProgressReportContentInput")
class ReportContentInputSerializer(serializers.Serializer):
    completed = _text("本月完成情况（提交时必填）")
    problems = _text("存在问题")
    next_plan = _text("下月计划（提交时必填）")
    progress = serializers.IntegerField(required=False, allow_null=True, default=None, help_text="完成进度 0–100（提交时必填）")
    actuals = ActualInputSerializer(
        many=True, required=False, default=list, help_text="指标实际值：只改列出的指标，未列出的保持不变",
    )


@extend_schema_serializer(component_name="ProgressReportInput")
class ReportCreateInputSerializer(ReportContentInputSerializer):
    period = serializers.PrimaryKeyRelatedField(queryset=ReportingPeriod.objects.all(), help_text="填报期 ID")
    # Any task id: the service answers 404 for a task outside the user's scope, 403 for one the
    # unit does not lead.
    task = serializers.PrimaryKeyRelatedField(queryset=Task.objects.all(), help_text="任务 ID")


@extend_schema_serializer(component_name="ContributionContentInput")
class ContributionContentInputSerializer(serializers.Serializer):
    text = _text("配合情况（提交时必填）")


@extend_schema_serializer(component_name="ContributionInput")
class ContributionCreateInputSerializer(ContributionContentInputSerializer):
    period = serializers.PrimaryKeyRelatedField(queryset=ReportingPeriod.objects.all(), help_text="填报期 ID")
    task = serializers.PrimaryKeyRelatedField(queryset=Task.objects.all(), help_text="任务 ID")


@extend_schema_serializer(component_name="AnnualWorkPlanContentInput")
class AnnualPlanContentInputSerializer(serializers.Serializer):
    content = _text("年度工作方案：任务清单与工作台账（提交时必填）")


@extend_schema_serializer(component_name="AnnualWorkPlanInput")
class AnnualPlanCreateInputSerializer(AnnualPlanContentInputSerializer):
    year = serializers.IntegerField(help_text="年度，须在方案期内")
    task = serializers.PrimaryKeyRelatedField(queryset=Task.objects.all(), help_text="任务 ID")


@extend_schema_serializer(component_name="ReviewInput")
class ReviewInputSerializer(serializers.Serializer):
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="审核意见；退回修改、重新打开时必填",
    )


@extend_schema_serializer(component_name="EvidenceUploadInput")
class EvidenceUploadInputSerializer(serializers.Serializer):
    files = serializers.ListField(
        child=serializers.FileField(), allow_empty=False,
        help_text="佐证材料：pdf、doc、docx、xls、xlsx、jpg、png，按内容检查类型",
    )
