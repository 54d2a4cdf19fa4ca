"""Serializers of the supervision API (督查督办): inspection rounds, findings with their lights,
rectifications, extension requests, the ladder's steps (催办, 督办单 …) and the monthly 通报.

Input serializers only parse what the client sends (types, lengths, ids that exist); whether it
may be saved, submitted, verified or sent is decided by supervision.services. Output serializers
shape rows and decide nothing; the comments name the loading each field relies on.

Status codes (a round's, a finding's, an extension's) and a finding event's action are plain
strings in the schema: the filings' ``status`` and the review record's ``action`` already own
those enum names (tasks/api/serializers_dispatch.py), and a second choice set under the same
field name would rename theirs or warn.
"""

from __future__ import annotations

from typing import Any

from django.db.models import TextChoices
from django.urls import NoReverseMatch, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from supervision.choices import (
    ExtensionStatus,
    FindingAction,
    FindingStatus,
    InspectionMethod,
    Level,
    RoundStatus,
    Severity,
)
from supervision.models import (
    Bulletin,
    Escalation,
    ExtensionRequest,
    Finding,
    FindingEvent,
    FindingEvidence,
    InspectionRound,
    Rectification,
)
from tasks.choices import Light
from tasks.models import ReportingPeriod, Task, Unit, User


def codes(choices: type[TextChoices]) -> str:
    """「open 待整改；rectifying 整改中 …」 for a help text."""
    return "；".join(f"{value} {label}" for value, label in choices.choices)


def _status(choices: type[TextChoices]) -> serializers.CharField:
    return serializers.CharField(read_only=True, help_text=f"状态代码：{codes(choices)}")


@extend_schema_field(OpenApiTypes.STR)
class CodeField(serializers.ChoiceField):
    """A code checked against its choices, documented as a plain string (see the module's
    docstring); the help text lists the codes."""


# --- references ---------------------------------------------------------------------------------


@extend_schema_serializer(component_name="UserRef")
class UserRefOutputSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="*", read_only=True, help_text="姓名（未填写时为用户名）")

    class Meta:
        model = User
        fields = ["id", "name"]
        read_only_fields = fields


@extend_schema_serializer(component_name="UnitRef")
class UnitRefOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Unit
        fields = ["id", "name", "short_name"]
        read_only_fields = fields


@extend_schema_serializer(component_name="TaskRef")
class TaskRefOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Task
        fields = ["id", "code", "title"]
        read_only_fields = fields


# --- rounds -------------------------------------------------------------------------------------


@extend_schema_serializer(component_name="InspectionRound")
class RoundOutputSerializer(serializers.ModelSerializer):
    # Needs the counts annotated (selectors.round_list).
    label = serializers.CharField(read_only=True, help_text="如「2021年第2季度」")
    method_display = serializers.CharField(source="get_method_display", read_only=True, help_text="督查方式名称")
    status = _status(RoundStatus)
    status_display = serializers.CharField(source="get_status_display", read_only=True, help_text="状态名称")
    finding_count = serializers.IntegerField(read_only=True, help_text="登记的问题数")
    open_count = serializers.IntegerField(read_only=True, help_text="尚未销号的问题数")

    class Meta:
        model = InspectionRound
        fields = ["id", "year", "quarter", "label", "title", "method", "method_display", "status",
                  "status_display", "start_date", "end_date", "conclusion", "finding_count", "open_count",
                  "created_at"]
        read_only_fields = fields


@extend_schema_serializer(component_name="InspectionRoundDetail")
class RoundDetailOutputSerializer(RoundOutputSerializer):
    # Needs prefetch_related("team", "units", "tasks") and select_related("created_by").
    team = UserRefOutputSerializer(many=True, read_only=True, help_text="督查组成员")
    units = UnitRefOutputSerializer(many=True, read_only=True, help_text="督查单位")
    tasks = TaskRefOutputSerializer(many=True, read_only=True, help_text="督查任务")
    created_by_name = serializers.CharField(source="created_by", read_only=True, allow_null=True, help_text="创建人")

    class Meta(RoundOutputSerializer.Meta):
        fields = [*RoundOutputSerializer.Meta.fields, "team", "units", "tasks", "created_by", "created_by_name"]
        read_only_fields = fields


# --- findings -----------------------------------------------------------------------------------


@extend_schema_serializer(component_name="Finding")
class FindingOutputSerializer(serializers.ModelSerializer):
    # Needs select_related("round", "unit", "task") and ``light`` attached to every row
    # (selectors.findings_with_lights).
    round_title = serializers.CharField(source="round.title", read_only=True, help_text="督查轮次名称")
    task_code = serializers.CharField(source="task.code", read_only=True, allow_null=True, help_text="任务编号")
    task_title = serializers.CharField(source="task.title", read_only=True, allow_null=True, help_text="任务名称")
    unit_name = serializers.CharField(source="unit.name", read_only=True, help_text="责任单位全称")
    severity_display = serializers.CharField(source="get_severity_display", read_only=True, help_text="严重程度名称")
    status = _status(FindingStatus)
    status_display = serializers.CharField(source="get_status_display", read_only=True, help_text="状态名称")
    light = serializers.ChoiceField(
        source="light.light", choices=Light.choices, read_only=True,
        help_text="红黄绿灯：逾期为红灯，提醒期内为黄灯；已提交核验或已销号的不再计时，为绿灯",
    )
    days_left = serializers.IntegerField(
        source="light.days_left", read_only=True, allow_null=True,
        help_text="距截止日期的工作日数，逾期为负数；已提交核验或已销号时为 null",
    )
    light_reason = serializers.CharField(source="light.reason", read_only=True, help_text="灯色说明，如「已逾期 2 个工作日」")

    class Meta:
        model = Finding
        fields = ["id", "number", "round", "round_title", "task", "task_code", "task_title", "unit", "unit_name",
                  "description", "severity", "severity_display", "deadline_working_days", "found_on", "due_date",
                  "due_provisional", "status", "status_display", "light", "days_left", "light_reason",
                  "closed_at", "created_at", "updated_at"]
        read_only_fields = fields


@extend_schema_serializer(component_name="FindingRectification")
class RectificationOutputSerializer(serializers.ModelSerializer):
    # Needs select_related("finding", "finding__unit", "updated_by").
    finding_number = serializers.CharField(source="finding.number", read_only=True, help_text="问题编号")
    unit = serializers.IntegerField(source="finding.unit_id", read_only=True, help_text="责任单位 ID")
    unit_name = serializers.CharField(source="finding.unit.name", read_only=True, help_text="责任单位全称")
    updated_by_name = serializers.CharField(source="updated_by", read_only=True, help_text="填报人")

    class Meta:
        model = Rectification
        fields = ["id", "finding", "finding_number", "unit", "unit_name", "measures", "result", "submitted_at",
                  "updated_by", "updated_by_name", "updated_at"]
        read_only_fields = fields


@extend_schema_serializer(component_name="FindingEvidence")
class FindingEvidenceOutputSerializer(serializers.ModelSerializer):
    # Needs the evidence prefetched with select_related("uploaded_by").
    stage_display = serializers.CharField(source="get_stage_display", read_only=True, help_text="类别名称")
    uploaded_by_name = serializers.CharField(source="uploaded_by", read_only=True, help_text="上传人")
    download_url = serializers.SerializerMethodField(help_text="下载地址（登录后可下载）")

    class Meta:
        model = FindingEvidence
        fields = ["id", "stage", "stage_display", "original_name", "extension", "content_type", "size",
                  "uploaded_by", "uploaded_by_name", "uploaded_at", "download_url"]
        read_only_fields = fields

    def get_download_url(self, evidence: FindingEvidence) -> str | None:
        try:
            path = reverse("supervision:finding-evidence", args=[evidence.pk])
        except NoReverseMatch:
            return None
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


@extend_schema_serializer(component_name="FindingEvent")
class FindingEventOutputSerializer(serializers.ModelSerializer):
    # Needs the events prefetched with select_related("actor").
    action = serializers.CharField(read_only=True, help_text=f"操作代码：{codes(FindingAction)}")
    action_display = serializers.CharField(source="get_action_display", read_only=True, help_text="操作名称")
    from_status = serializers.CharField(read_only=True, help_text="原状态代码，取值同问题的 status；登记时为空")
    to_status = serializers.CharField(read_only=True, help_text="新状态代码，取值同问题的 status")
    actor_name = serializers.CharField(source="actor", read_only=True, help_text="操作人")

    class Meta:
        model = FindingEvent
        fields = ["id", "action", "action_display", "from_status", "to_status", "comment", "actor", "actor_name", "at"]
        read_only_fields = fields


@extend_schema_serializer(component_name="ExtensionRequest")
class ExtensionOutputSerializer(serializers.ModelSerializer):
    # Needs select_related("finding", "finding__unit", "requested_by", "decided_by").
    finding_number = serializers.CharField(source="finding.number", read_only=True, help_text="问题编号")
    unit = serializers.IntegerField(source="finding.unit_id", read_only=True, help_text="责任单位 ID")
    unit_name = serializers.CharField(source="finding.unit.name", read_only=True, help_text="责任单位全称")
    status = _status(ExtensionStatus)
    status_display = serializers.CharField(source="get_status_display", read_only=True, help_text="状态名称")
    requested_by_name = serializers.CharField(source="requested_by", read_only=True, help_text="申请人")
    decided_by_name = serializers.CharField(source="decided_by", read_only=True, allow_null=True, help_text="审批人")

    class Meta:
        model = ExtensionRequest
        fields = ["id", "finding", "finding_number", "unit", "unit_name", "reason", "requested_due_date",
                  "previous_due_date", "status", "status_display", "granted_due_date", "decision_comment",
                  "requested_by", "requested_by_name", "requested_at", "decided_by", "decided_by_name", "decided_at"]
        read_only_fields = fields


@extend_schema_serializer(component_name="FindingDetail")
class FindingDetailOutputSerializer(FindingOutputSerializer):
    # Needs select_related("created_by", "rectification__updated_by") and the evidence, events and
    # extensions prefetched (see the view's queryset).
    created_by_name = serializers.CharField(source="created_by", read_only=True, help_text="登记人")
    rectification = RectificationOutputSerializer(read_only=True, allow_null=True, help_text="整改情况；尚未填写时为 null")
    evidence = FindingEvidenceOutputSerializer(many=True, read_only=True, help_text="督查取证与整改佐证材料")
    events = FindingEventOutputSerializer(many=True, read_only=True, help_text="办理记录，按时间先后")
    extensions = ExtensionOutputSerializer(many=True, read_only=True, help_text="延期申请，最近的在前")

    class Meta(FindingOutputSerializer.Meta):
        fields = [*FindingOutputSerializer.Meta.fields, "created_by", "created_by_name", "rectification",
                  "evidence", "events", "extensions"]
        read_only_fields = fields


# --- the ladder and 通报 ------------------------------------------------------------------------


@extend_schema_serializer(component_name="Escalation")
class EscalationOutputSerializer(serializers.ModelSerializer):
    # Needs select_related("unit", "finding", "task", "period", "created_by", "replied_by"):
    # item_label reads the finding, the task and the period.
    level_display = serializers.CharField(source="get_level_display", read_only=True, help_text="级别名称")
    item_kind_display = serializers.CharField(source="get_item_kind_display", read_only=True, help_text="事项类型名称")
    item_label = serializers.CharField(read_only=True, help_text="督办事项，如「督查问题 2021Q2-001」")
    unit_name = serializers.CharField(source="unit.name", read_only=True, help_text="责任单位全称")
    channels = serializers.SerializerMethodField(help_text="发送渠道：inbox 站内消息；email 邮件；webhook 企业微信")
    created_by_name = serializers.CharField(source="created_by", read_only=True, allow_null=True,
                                            help_text="发起人；自动发出的为 null")
    notice_code = serializers.CharField(read_only=True, help_text="督办单编号，如「西咸营商督〔2026〕12号」；其他级别为空")
    replied_by_name = serializers.CharField(source="replied_by", read_only=True, allow_null=True, help_text="回复人")
    awaits_reply = serializers.BooleanField(read_only=True, help_text="催办或督办单尚待责任单位回复")

    class Meta:
        model = Escalation
        fields = ["id", "level", "level_display", "item_kind", "item_kind_display", "item_label", "finding", "task",
                  "period", "year", "unit", "unit_name", "due_date", "overdue_days", "message", "channels",
                  "is_manual", "created_by", "created_by_name", "created_at", "notice_code", "required_action",
                  "new_due_date", "bulletin", "reply", "replied_by", "replied_by_name", "replied_at", "awaits_reply"]
        read_only_fields = fields

    def get_channels(self, escalation: Escalation) -> list[str]:
        return [channel for channel in escalation.channels.split(",") if channel]


@extend_schema_serializer(component_name="EscalationDetail")
class EscalationDetailOutputSerializer(EscalationOutputSerializer):
    # Needs prefetch_related("recipients").
    recipients = UserRefOutputSerializer(many=True, read_only=True, help_text="接收人")

    class Meta(EscalationOutputSerializer.Meta):
        fields = [*EscalationOutputSerializer.Meta.fields, "recipients"]
        read_only_fields = fields


@extend_schema_serializer(component_name="BulletinEntry")
class BulletinEntryOutputSerializer(serializers.ModelSerializer):
    # Needs the entries prefetched with select_related("unit", "finding", "task", "period").
    item_kind_display = serializers.CharField(source="get_item_kind_display", read_only=True, help_text="事项类型名称")
    item_label = serializers.CharField(read_only=True, help_text="通报事项")
    unit_name = serializers.CharField(source="unit.name", read_only=True, help_text="被通报单位全称")
    reasons = serializers.CharField(source="message", read_only=True, help_text="通报事由，多条以「；」分隔")

    class Meta:
        model = Escalation
        fields = ["id", "unit", "unit_name", "item_kind", "item_kind_display", "item_label", "finding", "task",
                  "period", "year", "due_date", "reasons", "created_at"]
        read_only_fields = fields


@extend_schema_serializer(component_name="Bulletin")
class BulletinOutputSerializer(serializers.ModelSerializer):
    # Needs select_related("compiled_by"), and entry_count and unit_count annotated over the
    # entries the user may see.
    label = serializers.CharField(read_only=True, help_text="如「2021年6月」")
    compiled_by_name = serializers.CharField(source="compiled_by", read_only=True, allow_null=True,
                                             help_text="汇总人；每日扫描自动汇总的为 null")
    entry_count = serializers.IntegerField(read_only=True, help_text="通报事项数（单位用户只计本单位的）")
    unit_count = serializers.IntegerField(read_only=True, help_text="被通报单位数（单位用户只计本单位的）")

    class Meta:
        model = Bulletin
        fields = ["id", "year", "month", "label", "compiled_at", "compiled_by", "compiled_by_name",
                  "entry_count", "unit_count"]
        read_only_fields = fields


@extend_schema_serializer(component_name="BulletinDetail")
class BulletinDetailOutputSerializer(BulletinOutputSerializer):
    entries = BulletinEntryOutputSerializer(many=True, read_only=True, source="visible_entries",
                                            help_text="通报事项，按单位排列；单位用户只看到本单位的")

    class Meta(BulletinOutputSerializer.Meta):
        fields = [*BulletinOutputSerializer.Meta.fields, "entries"]
        read_only_fields = fields


# --- input --------------------------------------------------------------------------------------


def _text(label: str, max_length: int | None = None) -> serializers.CharField:
    # Whether a text is required is the services' rule (their message names the field); the
    # lengths are the pages' forms'.
    return serializers.CharField(required=False, allow_blank=True, default="", max_length=max_length, help_text=label)


def _date(label: str) -> serializers.DateField:
    return serializers.DateField(required=False, allow_null=True, default=None, help_text=label)


@extend_schema_serializer(component_name="InspectionRoundInput")
class RoundInputSerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100, help_text="年度")
    quarter = serializers.IntegerField(help_text="季度 1–4")
    title = serializers.CharField(max_length=200, help_text="名称；同一季度不能重名")
    method = serializers.ChoiceField(choices=InspectionMethod.choices, default=InspectionMethod.FOUR_NOS,
                                     help_text="督查方式")
    start_date = _date("开始日期")
    end_date = _date("结束日期，不早于开始日期")
    status = CodeField(choices=RoundStatus.choices, default=RoundStatus.PLANNED,
                       help_text=f"状态代码：{codes(RoundStatus)}；结束督查须填写督查结论")
    conclusion = _text("督查结论")
    team = serializers.PrimaryKeyRelatedField(
        many=True, required=False, default=list, queryset=User.objects.filter(is_active=True),
        help_text="督查组成员的用户 ID（督查室账号）",
    )
    units = serializers.PrimaryKeyRelatedField(
        many=True, required=False, default=list, queryset=Unit.objects.assignable().filter(is_active=True),
        help_text="督查单位 ID",
    )
    tasks = serializers.PrimaryKeyRelatedField(
        many=True, required=False, default=list, queryset=Task.objects.all(), help_text="督查任务 ID",
    )


@extend_schema_serializer(component_name="FindingInput")
class FindingCreateInputSerializer(serializers.Serializer):
    round = serializers.PrimaryKeyRelatedField(queryset=InspectionRound.objects.all(), help_text="督查轮次 ID")
    # The units a finding can be against, as on the page: not a collective name.
    unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.assignable().filter(is_active=True),
                                              help_text="责任单位 ID")
    task = serializers.PrimaryKeyRelatedField(queryset=Task.objects.all(), required=False, allow_null=True,
                                              default=None, help_text="相关任务 ID（可不填）")
    description = _text("问题描述（必填）")
    severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.GENERAL, help_text="严重程度")
    deadline_working_days = serializers.IntegerField(help_text="整改时限，1–250 个工作日，按工作日历算出截止日期")
    found_on = _date("发现日期，默认今天")


@extend_schema_serializer(component_name="RectificationInput")
class RectificationInputSerializer(serializers.Serializer):
    measures = _text("整改措施（提交核验时必填）")
    result = _text("整改结果（提交核验时必填）")


VERIFY_ACTIONS = [("close", "销号"), ("reject", "退回整改")]


@extend_schema_serializer(component_name="FindingVerifyInput")
class VerifyInputSerializer(serializers.Serializer):
    action = CodeField(choices=VERIFY_ACTIONS, help_text="close 销号；reject 退回整改")
    comment = _text("核验意见；退回整改时必填")


@extend_schema_serializer(component_name="ExtensionRequestInput")
class ExtensionRequestInputSerializer(serializers.Serializer):
    requested_due_date = serializers.DateField(help_text="申请延至的日期，须晚于当前截止日期")
    reason = _text("申请理由（必填）")


@extend_schema_serializer(component_name="ExtensionDecisionInput")
class ExtensionDecisionInputSerializer(serializers.Serializer):
    grant = serializers.BooleanField(help_text="true 同意延期；false 不同意")
    due_date = _date("批准延至的日期；同意时不填则按申请的日期")
    comment = _text("审批意见；不同意时必填", max_length=2000)


@extend_schema_serializer(component_name="EscalationInput")
class EscalationSendInputSerializer(serializers.Serializer):
    """One item named by its parts: a finding; or a task, the lead unit and a reporting period
    (a month's progress report); or a task, the lead unit and a year (an annual work plan)."""

    finding = serializers.PrimaryKeyRelatedField(queryset=Finding.objects.all(), required=False, allow_null=True,
                                                 default=None, help_text="督查问题 ID")
    task = serializers.PrimaryKeyRelatedField(queryset=Task.objects.all(), required=False, allow_null=True,
                                              default=None, help_text="任务 ID（进展填报或年度工作方案）")
    unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all(), required=False, allow_null=True,
                                              default=None, help_text="该任务的牵头单位 ID")
    period = serializers.PrimaryKeyRelatedField(queryset=ReportingPeriod.objects.all(), required=False,
                                                allow_null=True, default=None, help_text="填报期 ID（进展填报）")
    year = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=2000, max_value=2100,
                                    help_text="年度（年度工作方案）")
    level = serializers.ChoiceField(choices=Level.choices, help_text="级别；人工只能发起 urge 催办或 notice 督办单")
    message = _text("催办内容或督办事由（必填）", max_length=4000)
    required_action = _text("督办要求（督办单必填）", max_length=4000)
    new_due_date = _date("限期办结日期（督办单必填，须晚于今天）")

    ITEM_HELP = "请指明督办事项：finding；或 task、unit 与 period；或 task、unit 与 year。"

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        parts = {name for name in ("finding", "task", "unit", "period", "year") if attrs.get(name) is not None}
        if parts not in ({"finding"}, {"task", "unit", "period"}, {"task", "unit", "year"}):
            raise serializers.ValidationError({"item": [self.ITEM_HELP]})
        if attrs["level"] != Level.NOTICE:
            # As on the page: a 催办 carries neither; what was typed for a 督办单 is not sent.
            attrs["required_action"], attrs["new_due_date"] = "", None
        return attrs


@extend_schema_serializer(component_name="EscalationReplyInput")
class EscalationReplyInputSerializer(serializers.Serializer):
    reply = _text("回复内容（必填）", max_length=4000)
