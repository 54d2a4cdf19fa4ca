"""Read-only REST API of the tasks domain (/api/v1/).

Every queryset goes through ``visible_to(user)`` or a selector built on it: a row outside the
user's scope answers 404 on its detail and never appears in a list.
"""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, viewsets
from rest_framework.pagination import PageNumberPagination

from tasks import selectors
from tasks.api import filters as api_filters
from tasks.api.serializers import (
    GroupOutputSerializer,
    IndicatorOutputSerializer,
    PlanOutputSerializer,
    TaskDetailOutputSerializer,
    TaskOutputSerializer,
    UnitOutputSerializer,
)
from tasks.filters import TaskFilter
from tasks.models import ActionPlan, Indicator, Task, TaskGroup, Unit
from tasks.selectors.state import month_parse, task_states


class ApiPagination(PageNumberPagination):
    """50 rows a page by default; scripts may ask for up to 500 with ?page_size=."""

    page_size_query_param = "page_size"
    max_page_size = 500


def _id_parameter(label: str) -> OpenApiParameter:
    return OpenApiParameter("id", int, OpenApiParameter.PATH, description=f"{label} ID")


def _read_only_schema(tag: str, label: str, list_description: str) -> extend_schema_view:
    return extend_schema_view(
        list=extend_schema(tags=[tag], summary=f"{label}列表", description=list_description),
        retrieve=extend_schema(
            tags=[tag], summary=f"{label}详情", parameters=[_id_parameter(label)],
            description=f"不存在或不在当前用户可见范围内的{label}一律返回 404。",
        ),
    )


class ApiReadOnlyViewSet(viewsets.ReadOnlyModelViewSet):
    pagination_class = ApiPagination
    # Only numeric ids reach the views; anything else is a 404 from the URL resolver.
    lookup_value_regex = r"[0-9]+"


@_read_only_schema("单位", "单位", "单位目录，含别名；所有登录用户可读。可按单位类型筛选。")
class UnitViewSet(ApiReadOnlyViewSet):
    serializer_class = UnitOutputSerializer
    filterset_class = api_filters.UnitFilter

    def get_queryset(self) -> QuerySet[Unit]:
        return selectors.unit_list(user=self.request.user)


@_read_only_schema("行动方案", "行动方案", "已导入的行动方案及其年度工作目标。")
class PlanViewSet(ApiReadOnlyViewSet):
    serializer_class = PlanOutputSerializer

    def get_queryset(self) -> QuerySet[ActionPlan]:
        # The official text is a whole document per plan; the API does not return it.
        return selectors.plan_list(user=self.request.user).defer("source_text").prefetch_related("targets")


@_read_only_schema("任务组", "任务组", "主要任务的十个任务组，以及保障措施、工作要求。可按方案与类别筛选。")
class GroupViewSet(ApiReadOnlyViewSet):
    serializer_class = GroupOutputSerializer
    filterset_class = api_filters.GroupFilter

    def get_queryset(self) -> QuerySet[TaskGroup]:
        # Groups are part of the plan text, readable wherever the plan is.
        return TaskGroup.objects.filter(plan__in=selectors.plan_list(user=self.request.user))


MONTH_PARAMETER = OpenApiParameter(
    "month", str, OpenApiParameter.QUERY, required=False,
    description="YYYY-MM：灯、进度、审核状态取该月月末（方案最后一月取其最后一期填报截止之后；当月取此刻）的状态；不填为此刻",
)


@extend_schema_view(
    list=extend_schema(parameters=[MONTH_PARAMETER]), retrieve=extend_schema(parameters=[MONTH_PARAMETER]),
)
@_read_only_schema(
    "任务", "任务",
    "当前用户可见的有效任务（单位用户只看到本单位牵头或配合的任务），含牵头、配合单位，及其红黄绿灯、"
    "完成进度与审核状态（与看板、台账同一口径）。"
    "筛选条件与任务查询页面相同：方案、任务组、单位（可配合角色）、类别、关键词。",
)
class TaskViewSet(ApiReadOnlyViewSet):
    filterset_class = TaskFilter

    def get_queryset(self) -> QuerySet[Task]:
        # Lists hold the tasks in force; a retired task stays readable by its id (history).
        rows = selectors.task_rows(user=self.request.user).select_related("plan").defer(
            "plan__source_text", "plan__preamble", "plan__closing_text",
        )
        return rows.active() if self.action == "list" else rows.prefetch_related("indicators")

    def _states_attach(self, tasks: list[Task]) -> list[Task]:
        """Each task's light, progress and review status as of ``?month=`` (now without it)."""
        try:
            month = month_parse(self.request.query_params.get("month", ""))
        except ValueError as exc:
            raise exceptions.ValidationError({"month": [str(exc)]}) from None
        states = task_states(tasks=tasks, month=month)
        for task in tasks:
            task.state = states.get(task.pk)
        return tasks

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return TaskDetailOutputSerializer if self.action == "retrieve" else TaskOutputSerializer

    def paginate_queryset(self, queryset):
        # Unit names and states for the rows of this page only, a fixed number of queries.
        return self._states_attach(selectors.task_unit_names_attach(super().paginate_queryset(queryset)))

    def get_object(self) -> Task:
        # 404 outside the user's scope: the queryset is the visible tasks only.
        return self._states_attach(selectors.task_unit_names_attach([super().get_object()]))[0]


@_read_only_schema(
    "指标", "指标",
    "工作目标与任务的量化指标：方案级指标所有登录用户可读，任务指标随任务的可见范围。"
    "可按方案、任务、年度筛选。",
)
class IndicatorViewSet(ApiReadOnlyViewSet):
    serializer_class = IndicatorOutputSerializer
    filterset_class = api_filters.IndicatorFilter

    def get_queryset(self) -> QuerySet[Indicator]:
        return selectors.indicator_list(user=self.request.user)
