"""/api/v1/dashboards/: the dashboards' figures (看板) as JSON — the same figures as the pages,
scoped the same way (office, inspectors and leaders see the whole plan; a unit's staff its own
rows), for the same plan (``?plan=<id>``, by default the current one) and month
(``?month=YYYY-MM``, by default the current one; a month outside the plan answers 400 with the
reason in Chinese).

Each view parses the two parameters, calls one selector of ``reports.selectors.dashboards`` and
shapes its dataclasses with an output serializer; nothing is decided here.
"""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from reports.selectors.dashboards import (
    AsOf,
    DashboardError,
    dashboard_as_of,
    dashboard_group_tasks,
    dashboard_groups,
    dashboard_indicators,
    dashboard_overview,
    dashboard_risks,
    dashboard_units,
)
from supervision.choices import Level
from tasks.choices import Light, TaskStatus
from tasks.models import ActionPlan
from tasks.selectors import plan_current, plan_get
from tasks.selectors.state import Attainment

TAG = "看板"


def _codes(labels: dict[str, str]) -> str:
    return "；".join(f"{code} {label}" for code, label in labels.items())


LIGHT_CODES = _codes(dict(Light.choices))


# --- serializers -----------------------------------------------------------------------------


class MonthChoiceOutputSerializer(serializers.Serializer):
    value = serializers.CharField(help_text="月份，YYYY-MM，可作 month 参数")
    label = serializers.CharField(help_text="如「2022年6月」；当前月标「（当前）」")

    def to_representation(self, instance: tuple[str, str]) -> dict[str, str]:
        return {"value": instance[0], "label": instance[1]}


class AsOfOutputSerializer(serializers.Serializer):
    month = serializers.CharField(source="value", help_text="所示月份，YYYY-MM")
    label = serializers.CharField(help_text="「2022年12月末」，当前月为「截至 2026-11-29 16:00」")
    at = serializers.DateTimeField(help_text="数据所反映的时刻：过去月份为月末最后一刻，当前月为最近一次计算的时刻")
    is_final = serializers.BooleanField(help_text="月份已结束、数据不再变化时为 true")
    months = MonthChoiceOutputSerializer(source="choices", many=True, help_text="可切换的月份，最近的在前")


class SliceOutputSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="代码")
    label = serializers.CharField(help_text="名称")
    count = serializers.IntegerField(help_text="数量")


class MonthPointOutputSerializer(serializers.Serializer):
    month = serializers.CharField(source="value", help_text="月份，YYYY-MM")
    label = serializers.CharField(help_text="如「2022年6月」")
    progress = serializers.FloatField(help_text="月末平均完成进度（%）")
    expected = serializers.IntegerField(help_text="月末序时进度（%）")


class DashboardOutputSerializer(serializers.Serializer):
    plan = serializers.IntegerField(source="plan.pk", help_text="行动方案 ID")
    as_of = AsOfOutputSerializer(help_text="所示月份")


class OverviewOutputSerializer(DashboardOutputSerializer):
    tasks = serializers.IntegerField(help_text="有牵头单位的任务数（单位用户：本单位牵头的任务数）")
    progress = serializers.FloatField(help_text="各牵头单位各任务的平均完成进度（%），未报按 0 计")
    expected = serializers.IntegerField(help_text="序时进度（%）")
    lights = SliceOutputSerializer(many=True, help_text=f"各灯任务数，红、黄、绿依次：{LIGHT_CODES}")
    statuses = SliceOutputSerializer(many=True, help_text=f"各审核状态任务数：{_codes(TaskStatus.LABELS)}")
    reports_due = serializers.IntegerField(help_text="到期应报的月度进展次数")
    reports_on_time = serializers.IntegerField(help_text="按时报送次数")
    reports_late = serializers.IntegerField(help_text="逾期报送次数")
    reports_missing = serializers.IntegerField(help_text="未报次数")
    on_time_rate = serializers.FloatField(allow_null=True, help_text="按时报送率（%）；尚无到期填报时为 null")
    returns = serializers.IntegerField(help_text="被退回次数")
    series = MonthPointOutputSerializer(many=True, help_text="方案开始至所示月份各月末的平均完成进度与序时进度")


class GroupRowOutputSerializer(serializers.Serializer):
    group_id = serializers.IntegerField(help_text="任务组 ID")
    label = serializers.CharField(help_text="如「（一）……」")
    tasks = serializers.IntegerField(help_text="有牵头单位的任务数")
    progress = serializers.FloatField(help_text="平均完成进度（%）")
    red = serializers.IntegerField(help_text="红灯任务数")
    yellow = serializers.IntegerField(help_text="黄灯任务数")
    green = serializers.IntegerField(help_text="绿灯任务数")


class GroupsOutputSerializer(DashboardOutputSerializer):
    groups = GroupRowOutputSerializer(many=True, help_text="各任务组，按方案顺序")


class UnitOnTaskOutputSerializer(serializers.Serializer):
    unit_id = serializers.IntegerField(help_text="牵头单位 ID")
    name = serializers.CharField(help_text="单位简称")
    light = serializers.CharField(help_text=f"灯：{LIGHT_CODES}")
    reason = serializers.CharField(help_text="灯的原因")
    progress = serializers.IntegerField(allow_null=True, help_text="完成进度（%）；尚未报送为 null")
    status = serializers.CharField(help_text=f"最近到期填报的状态：{_codes(TaskStatus.LABELS)}")
    days_overdue = serializers.IntegerField(help_text="最近到期填报逾期未报的工作日数")


class TaskRowOutputSerializer(serializers.Serializer):
    task_id = serializers.IntegerField(help_text="任务 ID")
    code = serializers.CharField(help_text="任务编号")
    title = serializers.CharField(help_text="任务名称")
    light = serializers.CharField(help_text=f"各牵头单位中最差的灯：{LIGHT_CODES}")
    reason = serializers.CharField(help_text="该灯的原因")
    progress = serializers.FloatField(help_text="各牵头单位的平均完成进度（%）")
    expected = serializers.IntegerField(help_text="序时进度（%）")
    status = serializers.CharField(help_text=f"各牵头单位中最靠后的审核状态：{_codes(TaskStatus.LABELS)}")
    status_label = serializers.CharField(help_text="审核状态名称")
    units = UnitOnTaskOutputSerializer(many=True, help_text="各牵头单位")


class GroupTasksOutputSerializer(DashboardOutputSerializer):
    group = serializers.IntegerField(help_text="任务组 ID")
    tasks = TaskRowOutputSerializer(many=True, help_text="本组任务，按方案顺序")


class UnitRowOutputSerializer(serializers.Serializer):
    rank = serializers.IntegerField(help_text="名次（按按时报送率，其次未报、退回、逾期问题少者在前）")
    unit_id = serializers.IntegerField(help_text="单位 ID")
    name = serializers.CharField(help_text="单位名称")
    tasks = serializers.IntegerField(help_text="牵头任务数")
    red = serializers.IntegerField(help_text="红灯任务数")
    reports_due = serializers.IntegerField(help_text="到期应报次数")
    reports_on_time = serializers.IntegerField(help_text="按时报送次数")
    reports_late = serializers.IntegerField(help_text="逾期报送次数")
    reports_missing = serializers.IntegerField(help_text="未报次数")
    on_time_rate = serializers.FloatField(allow_null=True, help_text="按时报送率（%）；尚无到期填报时为 null")
    returns = serializers.IntegerField(help_text="被退回次数")
    findings_open = serializers.IntegerField(help_text="未销号的督查问题数")
    findings_overdue = serializers.IntegerField(help_text="其中整改逾期的")
    escalations = serializers.DictField(child=serializers.IntegerField(), help_text=(
        f"方案开始至所示时刻的督办措施次数，按级别：{_codes(dict(Level.choices))}"))


class UnitsOutputSerializer(DashboardOutputSerializer):
    units = UnitRowOutputSerializer(many=True, help_text="各牵头单位，按名次（单位用户：仅本单位）")


class PlanTargetOutputSerializer(serializers.Serializer):
    year = serializers.IntegerField(help_text="年度")
    text = serializers.CharField(help_text="年度工作目标原文")


class TrendPointOutputSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="月份，YYYY-MM")
    actual = serializers.FloatField(help_text="月末实际值")

    def to_representation(self, instance: tuple[str, float]) -> dict[str, Any]:
        return {"month": instance[0], "actual": instance[1]}


class IndicatorOutputSerializer(serializers.Serializer):
    indicator_id = serializers.IntegerField(help_text="指标 ID")
    name = serializers.CharField(help_text="指标名称")
    task_code = serializers.CharField(help_text="所属任务编号；方案级指标为空")
    year = serializers.IntegerField(allow_null=True, help_text="目标年度；方案期内为 null")
    target = serializers.CharField(help_text="目标（如「≤ 90 个工作日」）")
    unit_of_measure = serializers.CharField(help_text="计量单位")
    target_value = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="目标值")
    target_max = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True,
                                          help_text="区间目标的上限；否则为 null")
    actual = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True,
                                      help_text="截至所示时刻最近一次提交的实际值；暂无为 null")
    actual_label = serializers.CharField(help_text="实际值所属填报期，如「2022年6月」")
    attainment = serializers.CharField(help_text=f"达成情况：{_codes(Attainment.LABELS)}")
    attainment_label = serializers.CharField(help_text="达成情况名称")
    trend = TrendPointOutputSerializer(many=True, help_text="各月末的实际值（有值的月份）")


class IndicatorsOutputSerializer(DashboardOutputSerializer):
    targets = PlanTargetOutputSerializer(many=True, help_text="方案的年度工作目标")
    indicators = IndicatorOutputSerializer(many=True, help_text="指标，方案级在前")
    attainment = SliceOutputSerializer(many=True, help_text="各达成情况的指标数")


class RiskRowOutputSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="「进展填报」或「督查问题」")
    light = serializers.CharField(help_text="red 红灯；yellow 黄灯")
    title = serializers.CharField(help_text="事项")
    unit = serializers.CharField(help_text="责任单位")
    reason = serializers.CharField(help_text="原因")
    days_overdue = serializers.IntegerField(help_text="逾期工作日数；未逾期为 0")
    url = serializers.SerializerMethodField(help_text="事项页面的完整地址")

    @extend_schema_field(serializers.URLField())
    def get_url(self, row) -> str:
        return self.context["request"].build_absolute_uri(row.url)


class RisksOutputSerializer(DashboardOutputSerializer):
    risks = RiskRowOutputSerializer(many=True, help_text="红灯在前，逾期最久的在前")


class DashboardQueryInputSerializer(serializers.Serializer):
    plan = serializers.IntegerField(required=False, min_value=1, error_messages={
        "invalid": "行动方案应为 ID（整数）。", "min_value": "行动方案应为 ID（正整数）。"})
    month = serializers.CharField(required=False, allow_blank=True, max_length=20)


# --- views -----------------------------------------------------------------------------------

PARAMETERS = [
    OpenApiParameter("plan", int, description="行动方案 ID；默认为当前行动方案"),
    OpenApiParameter("month", str, description="月份，YYYY-MM：显示该月末的状态；默认为当前月（实时）"),
]
REFUSED = {
    400: OpenApiResponse(description="参数有误：月份格式不对或不在方案可查看的范围内（detail 为说明）"),
    404: OpenApiResponse(description="行动方案或任务组不存在，或不在当前用户可见范围内"),
}


def _doc(name: str, summary: str, description: str, response: type[serializers.Serializer],
         path_parameters: list[OpenApiParameter] | None = None) -> extend_schema:
    return extend_schema(tags=[TAG], operation_id=f"dashboards_{name}", summary=summary, description=description,
                         parameters=[*(path_parameters or []), *PARAMETERS], responses={200: response, **REFUSED})


class DashboardView(APIView):
    """Parse ``plan`` and ``month``, call the selector, shape the figures."""

    output: type[serializers.Serializer]

    def get(self, request: Request, **kwargs) -> Response:
        plan, as_of = self.frame(request)
        data = self.figures(user=request.user, plan=plan, as_of=as_of, **kwargs)
        return Response(self.output({"plan": plan, "as_of": as_of, **data}, context={"request": request}).data)

    def figures(self, *, user, plan: ActionPlan, as_of: AsOf, **kwargs) -> dict[str, Any]:
        raise NotImplementedError

    @staticmethod
    def frame(request: Request) -> tuple[ActionPlan, AsOf]:
        params = DashboardQueryInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        plan_id = params.validated_data.get("plan")
        plan = plan_get(user=request.user, pk=plan_id) if plan_id else plan_current(user=request.user)
        if plan is None:
            raise exceptions.NotFound("尚未导入行动方案。")
        try:
            return plan, dashboard_as_of(plan=plan, month=params.validated_data.get("month") or None)
        except DashboardError as exc:
            raise exceptions.ValidationError({"detail": str(exc)}) from None


class OverviewView(DashboardView):
    output = OverviewOutputSerializer

    @_doc("overview", "方案总览", "任务红黄绿灯和审核状态分布、平均完成进度与序时进度的逐月走势、按时报送率。"
                  "单位用户只统计本单位牵头的任务。", OverviewOutputSerializer)
    def get(self, request: Request, **kwargs) -> Response:
        return super().get(request, **kwargs)

    def figures(self, *, user, plan: ActionPlan, as_of: AsOf) -> dict[str, Any]:
        return vars(dashboard_overview(user=user, plan=plan, as_of=as_of))


class GroupsView(DashboardView):
    output = GroupsOutputSerializer

    @_doc("groups", "各任务组", "各任务组的任务数、平均完成进度和红黄绿灯。单位用户只统计本单位牵头的任务。", GroupsOutputSerializer)
    def get(self, request: Request, **kwargs) -> Response:
        return super().get(request, **kwargs)

    def figures(self, *, user, plan: ActionPlan, as_of: AsOf) -> dict[str, Any]:
        return {"groups": dashboard_groups(user=user, plan=plan, as_of=as_of)}


class GroupTasksView(DashboardView):
    output = GroupTasksOutputSerializer

    @_doc("group_tasks", "任务组的任务", "一个任务组的各任务：灯及原因、完成进度、审核状态和各牵头单位的情况。"
                     "任务组不属于该方案时 404。", GroupTasksOutputSerializer,
          path_parameters=[OpenApiParameter("group_id", int, OpenApiParameter.PATH, description="任务组 ID")])
    def get(self, request: Request, **kwargs) -> Response:
        return super().get(request, **kwargs)

    def figures(self, *, user, plan: ActionPlan, as_of: AsOf, group_id: int) -> dict[str, Any]:
        if not plan.groups.filter(pk=group_id).exists():
            raise exceptions.NotFound("该行动方案中没有这个任务组。")
        return {"group": group_id, "tasks": dashboard_group_tasks(user=user, plan=plan, as_of=as_of, group_id=group_id)}


class UnitsView(DashboardView):
    output = UnitsOutputSerializer

    @_doc("units", "单位排名", "各牵头单位按按时报送率排名，含退回、未销号和逾期的督查问题、督办措施次数——通报和考核的依据。"
                  "单位用户只看到本单位一行。", UnitsOutputSerializer)
    def get(self, request: Request, **kwargs) -> Response:
        return super().get(request, **kwargs)

    def figures(self, *, user, plan: ActionPlan, as_of: AsOf) -> dict[str, Any]:
        return {"units": dashboard_units(user=user, plan=plan, as_of=as_of)}


class IndicatorsView(DashboardView):
    output = IndicatorsOutputSerializer

    @_doc("indicators", "指标", "方案年度工作目标，以及各指标的目标、实际值、达成情况（已达成、有风险、未达成）和逐月走势。",
          IndicatorsOutputSerializer)
    def get(self, request: Request, **kwargs) -> Response:
        return super().get(request, **kwargs)

    def figures(self, *, user, plan: ActionPlan, as_of: AsOf) -> dict[str, Any]:
        return vars(dashboard_indicators(user=user, plan=plan, as_of=as_of))


class RisksView(DashboardView):
    output = RisksOutputSerializer

    @_doc("risks", "风险事项", "所有红灯、黄灯的月度进展填报和督查问题整改，含原因和逾期工作日数，红灯在前。"
                  "单位用户只看到本单位的事项。", RisksOutputSerializer)
    def get(self, request: Request, **kwargs) -> Response:
        return super().get(request, **kwargs)

    def figures(self, *, user, plan: ActionPlan, as_of: AsOf) -> dict[str, Any]:
        return {"risks": dashboard_risks(user=user, plan=plan, as_of=as_of)}


urlpatterns = [
    path("dashboards/overview/", OverviewView.as_view(), name="dashboard-api-overview"),
    path("dashboards/groups/", GroupsView.as_view(), name="dashboard-api-groups"),
    path("dashboards/groups/<int:group_id>/", GroupTasksView.as_view(), name="dashboard-api-group"),
    path("dashboards/units/", UnitsView.as_view(), name="dashboard-api-units"),
    path("dashboards/indicators/", IndicatorsView.as_view(), name="dashboard-api-indicators"),
    path("dashboards/risks/", RisksView.as_view(), name="dashboard-api-risks"),
]
