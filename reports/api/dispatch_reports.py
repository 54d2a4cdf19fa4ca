"""/api/v1/dispatch-reports/: the monthly dispatch reports (月调度报告) and the half-year and annual
packs — list, detail with the whole content as JSON, and the office's 生成 / 重新生成.

Scoped like the pages: the office, inspectors and leaders read every report; for unit accounts
the endpoints answer 403 whatever the id (the reports set all units side by side). A build is
queued, not run in the request: 202 with the report as it stands, or 409 while one is queued or
running (「正在生成」).
"""

from __future__ import annotations

import django_filters
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from reports.choices import DispatchReportKind, DispatchReportStatus
from reports.models import DispatchReport
from reports.selectors.dispatch_reports import CLOSED_TO_UNITS, dispatch_reports
from reports.services.dispatch_reports import DispatchReportError, dispatch_report_request
from supervision.api.serializers import CodeField, codes
from tasks.api.views import ApiPagination, _id_parameter

TAG = "调度报告"


# --- serializers -----------------------------------------------------------------------------


class DispatchReportOutputSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True, help_text=f"类型代码：{codes(DispatchReportKind)}")
    kind_label = serializers.CharField(source="get_kind_display", help_text="类型名称")
    status = serializers.CharField(read_only=True, help_text=f"状态代码：{codes(DispatchReportStatus)}")
    status_label = serializers.CharField(source="get_status_display", help_text="状态名称")
    title = serializers.CharField(help_text="报告标题，如「2025年10月调度报告」")
    period_label = serializers.CharField(help_text="期次，如「2025年10月」「2025年上半年」「2025年度」")
    requested_by = serializers.SerializerMethodField(help_text="发起人；定时任务自动生成时为 null")
    download_url = serializers.SerializerMethodField(help_text="最近一次成功生成的 .xlsx；尚未生成时为 null")

    class Meta:
        model = DispatchReport
        fields = ["id", "kind", "kind_label", "year", "number", "title", "period_label", "status", "status_label",
                  "progress", "stage", "error", "generation", "requested_by", "requested_at", "built_at",
                  "download_url"]
        extra_kwargs = {"number": {"help_text": "月份（1—12）；半年 1 上半年、2 下半年；年度为 0"}}

    def get_requested_by(self, report: DispatchReport) -> str | None:
        return str(report.requested_by) if report.requested_by_id else None

    def get_download_url(self, report: DispatchReport) -> str | None:
        if not report.file:
            return None
        return self.context["request"].build_absolute_uri(reverse("dispatch-report-download", args=[report.pk]))


class DispatchReportDetailOutputSerializer(DispatchReportOutputSerializer):
    content = serializers.JSONField(help_text="报告全部内容：sections 为各部分的顺序和标题，其余键为各部分的数据"
                                    "（与页面和 .xlsx 相同）；日期为 YYYY-MM-DD，时间为北京时间 YYYY-MM-DD HH:MM")

    class Meta(DispatchReportOutputSerializer.Meta):
        fields = [*DispatchReportOutputSerializer.Meta.fields, "plan", "content"]


class DispatchReportRequestInputSerializer(serializers.Serializer):
    kind = CodeField(choices=DispatchReportKind.choices, help_text=f"报告类型：{codes(DispatchReportKind)}")
    year = serializers.IntegerField(min_value=2000, max_value=2100, help_text="年度")
    number = serializers.IntegerField(min_value=0, max_value=12, help_text="月份；半年 1 或 2；年度 0")


class DispatchReportFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=DispatchReportKind.choices, label="类型")
    year = django_filters.NumberFilter(label="年度")

    class Meta:
        model = DispatchReport
        fields = ["kind", "year"]


# --- views -----------------------------------------------------------------------------------


class SeesDispatchReports(permissions.BasePermission):
    message = CLOSED_TO_UNITS

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.sees_everything)


_REFUSED = {
    400: OpenApiResponse(description="期次有误，或该期间没有执行中的行动方案、没有打开过填报期"),
    403: OpenApiResponse(description="只有新区营商办可以生成；单位用户不能查阅调度报告"),
    404: OpenApiResponse(description="报告不存在"),
    409: OpenApiResponse(description="该报告正在生成（排队中或生成中），不会再启动一次"),
}


@extend_schema_view(
    list=extend_schema(tags=[TAG], summary="调度报告列表",
                       description="月调度报告、半年工作总结会材料和年度总结报告，最近的在前，不含报告内容；"
                                   "营商办、督查室和领导可读，单位用户 403。可按类型（kind）和年度（year）筛选。"),
    retrieve=extend_schema(tags=[TAG], summary="调度报告详情", parameters=[_id_parameter("调度报告")],
                           description="报告的全部内容（content），与页面和 .xlsx 一致；生成中时为上一次生成的内容。"
                                       "不存在的报告 404，单位用户 403。"),
    create=extend_schema(tags=[TAG], summary="生成调度报告", request=DispatchReportRequestInputSerializer,
                         description="只有营商办：生成某期报告（已有则重新生成）。后台生成，返回 202 和报告当前状态；"
                                     "该报告正在生成时返回 409。",
                         responses={202: DispatchReportOutputSerializer, **_REFUSED}),
    rebuild=extend_schema(tags=[TAG], summary="重新生成调度报告", request=None, parameters=[_id_parameter("调度报告")],
                          description="只有营商办：重新生成，完成后替换原报告；失败时保留原报告。返回 202；"
                                      "正在生成时 409。",
                          responses={202: DispatchReportOutputSerializer, **_REFUSED}),
)
class DispatchReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [permissions.IsAuthenticated, SeesDispatchReports]
    pagination_class = ApiPagination
    filterset_class = DispatchReportFilter
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> QuerySet[DispatchReport]:
        reports = dispatch_reports(user=self.request.user)
        return reports if self.action == "list" else reports.defer(None).select_related("requested_by")

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return DispatchReportOutputSerializer if self.action == "list" else DispatchReportDetailOutputSerializer

    def create(self, request, *args, **kwargs) -> Response:
        serializer = DispatchReportRequestInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._request(**serializer.validated_data)

    @action(detail=True, methods=["post"])
    def rebuild(self, request, pk=None) -> Response:
        report = self.get_object()
        return self._request(kind=report.kind, year=report.year, number=report.number)

    def _request(self, *, kind: str, year: int, number: int) -> Response:
        try:
            report, queued = dispatch_report_request(kind=kind, year=year, number=number, user=self.request.user)
        except DispatchReportError as exc:
            raise exceptions.ValidationError({"detail": str(exc)}) from None
        except PermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from None
        if not queued:
            return Response({"detail": f"{report.title}正在生成，请稍候。"}, status=status.HTTP_409_CONFLICT)
        data = DispatchReportOutputSerializer(report, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_202_ACCEPTED)


router = SimpleRouter(trailing_slash=True)
router.register("dispatch-reports", DispatchReportViewSet, basename="api-dispatch-report")

urlpatterns = router.urls
