"""Output serializers of the tasks API: they shape rows for JSON and decide nothing.

Every related value they read (group, units, aliases, targets, indicators) must be loaded by
the view's queryset; the comments name the prefetch each field relies on.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from tasks.choices import AssignmentRole, PlanStatus, TaskStatus
from tasks.models import ActionPlan, Indicator, PlanTarget, Task, TaskGroup, Unit


@extend_schema_serializer(component_name="Unit")
class UnitOutputSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True, help_text="类型名称")
    # Needs prefetch_related("aliases").
    aliases = serializers.SlugRelatedField(slug_field="alias", many=True, read_only=True)

    class Meta:
        model = Unit
        fields = ["id", "name", "short_name", "kind", "kind_display", "parent", "aliases"]
        read_only_fields = fields


@extend_schema_serializer(component_name="PlanTarget")
class PlanTargetOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlanTarget
        fields = ["year", "text"]
        read_only_fields = fields


@extend_schema_serializer(component_name="Plan")
class PlanOutputSerializer(serializers.ModelSerializer):
    # Needs prefetch_related("targets").
    targets = PlanTargetOutputSerializer(many=True, read_only=True)
    status = serializers.ChoiceField(
        choices=PlanStatus.choices, read_only=True,
        help_text="生命周期：upcoming 未开始、active 执行中、ended 已结束（由开始、结束日期与今天得出）",
    )

    class Meta:
        model = ActionPlan
        fields = ["id", "title", "start_year", "end_year", "starts_on", "ends_on", "status", "targets"]
        read_only_fields = fields


@extend_schema_serializer(component_name="Group")
class GroupOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = TaskGroup
        fields = ["id", "plan", "kind", "number", "title"]
        read_only_fields = fields


@extend_schema_serializer(component_name="Task")
class TaskOutputSerializer(serializers.ModelSerializer):
    # Needs select_related("group") and ``unit_names`` set on each task
    # (selectors.task_unit_names_attach); otherwise every row costs queries.
    kind = serializers.CharField(source="group.kind", read_only=True, help_text="任务组类别，同任务组的 kind")
    group_title = serializers.CharField(source="group.title", read_only=True, help_text="任务组名称")
    lead_units = serializers.SerializerMethodField(help_text="牵头单位全称，按原文顺序")
    supporting_units = serializers.SerializerMethodField(help_text="配合单位全称，按原文顺序")
    # From ``task.state`` (the one as-of state, attached by the view): null where nothing is owed.
    light = serializers.SerializerMethodField(help_text="红黄绿灯：red、yellow、green；无填报要求时为 null")
    light_reason = serializers.SerializerMethodField(help_text="灯的原因")
    progress = serializers.SerializerMethodField(help_text="各牵头单位完成进度的平均值（%）")
    expected_progress = serializers.SerializerMethodField(help_text="序时进度（%）")
    review_status = serializers.SerializerMethodField(
        help_text=f"各牵头单位中最靠后的审核状态：{'、'.join(f'{k} {v}' for k, v in TaskStatus.LABELS.items())}",
    )
    days_overdue = serializers.SerializerMethodField(help_text="最近到期填报逾期的工作日数（各牵头单位中最多的）")

    class Meta:
        model = Task
        fields = [
            "id", "code", "number", "title", "text", "kind", "group", "group_title", "plan",
            "time_node", "lead_units", "supporting_units",
            "light", "light_reason", "progress", "expected_progress", "review_status", "days_overdue",
        ]
        read_only_fields = fields

    def _state(self, task: Task, name: str):
        return getattr(task.state, name) if task.state else None

    def get_light(self, task: Task) -> str | None:
        return self._state(task, "light")

    def get_light_reason(self, task: Task) -> str | None:
        return self._state(task, "reason")

    def get_progress(self, task: Task) -> float | None:
        return self._state(task, "progress")

    def get_expected_progress(self, task: Task) -> int | None:
        return self._state(task, "expected")

    def get_review_status(self, task: Task) -> str | None:
        return self._state(task, "status")

    def get_days_overdue(self, task: Task) -> int | None:
        return self._state(task, "days_overdue")

    def get_lead_units(self, task: Task) -> list[str]:
        return task.unit_names[AssignmentRole.LEAD]

    def get_supporting_units(self, task: Task) -> list[str]:
        return task.unit_names[AssignmentRole.SUPPORTING]


# An indicator inside a task: the task itself is the parent object.
@extend_schema_serializer(component_name="TaskIndicator")
class TaskIndicatorOutputSerializer(serializers.ModelSerializer):
    target_display = serializers.CharField(read_only=True, help_text="目标，如「≤ 90 个工作日」")

    class Meta:
        model = Indicator
        fields = ["id", "key", "name", "year", "target_display"]
        read_only_fields = fields


@extend_schema_serializer(component_name="TaskDetail")
class TaskDetailOutputSerializer(TaskOutputSerializer):
    # Needs prefetch_related("indicators") on top of the list's loading.
    indicators = TaskIndicatorOutputSerializer(many=True, read_only=True)

    class Meta(TaskOutputSerializer.Meta):
        fields = [*TaskOutputSerializer.Meta.fields, "indicators"]
        read_only_fields = fields


@extend_schema_serializer(component_name="Indicator")
class IndicatorOutputSerializer(serializers.ModelSerializer):
    # Needs select_related("task"); null for plan-level indicators (工作目标).
    task_code = serializers.CharField(
        source="task.code", read_only=True, allow_null=True, help_text="任务编号；方案级指标为 null",
    )
    comparator_display = serializers.CharField(
        source="get_comparator_display", read_only=True, help_text="比较方式符号",
    )
    target_display = serializers.CharField(read_only=True, help_text="目标，如「≤ 90 个工作日」")

    class Meta:
        model = Indicator
        fields = [
            "id", "key", "plan", "task", "task_code", "name", "year", "comparator",
            "comparator_display", "target_value", "target_max", "unit_of_measure",
            "target_display", "source_excerpt",
        ]
        read_only_fields = fields
