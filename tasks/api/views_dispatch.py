"""Monthly-dispatch API (月调度): reporting periods, progress reports, supporting units'
contributions and annual work plans, with the actions of their review flow.

Views parse, call a service (writes) or read through ``visible_to`` (reads), and render. Every
rule — who may file, submit, review or discard, what a submission needs, what is locked — is in
tasks.services.dispatch, and its answers become statuses here: Http404 → 404 (not yours to
see), PermissionDenied → 403 (visible, not yours to do), DispatchError → 400 with the message
under ``detail`` and each field's message under the field's name.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from tasks.api import filters_dispatch as filters
from tasks.api import serializers_dispatch as s
from tasks.api.views import ApiPagination, ApiReadOnlyViewSet, _id_parameter, _read_only_schema
from tasks.choices import ReviewAction
from tasks.models import (
    AnnualWorkPlan,
    Contribution,
    Evidence,
    Filing,
    IndicatorActual,
    ProgressReport,
    ReportingPeriod,
    ReviewEvent,
)
from tasks.services import dispatch


@_read_only_schema("填报期", "填报期", "月调度的填报期（月份）及其截止日期；所有登录用户可读。可按年度、状态筛选。")
class PeriodViewSet(ApiReadOnlyViewSet):
    serializer_class = s.PeriodOutputSerializer
    filterset_class = filters.PeriodFilter

    def get_queryset(self) -> QuerySet[ReportingPeriod]:
        # Periods are the calendar of reporting, the same for every signed-in user.
        return ReportingPeriod.objects.order_by("-year", "-month")


def _api_exception(exc: Exception) -> Exception:
    """The services' refusals as DRF exceptions, keeping their Chinese messages."""
    if isinstance(exc, dispatch.DispatchError):
        return exceptions.ValidationError({"detail": str(exc), **{f: [m] for f, m in exc.fields.items()}})
    if isinstance(exc, PermissionDenied) and exc.args:
        return exceptions.PermissionDenied(str(exc))
    return exc


class FilingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """What the three kinds of filing share: reads scoped by ``visible_to`` (another unit's
    draft is a 404), discard, submit, and the office's review."""

    pagination_class = ApiPagination
    lookup_value_regex = r"[0-9]+"
    model: type[Filing]
    related: tuple[str, ...]
    ordering: tuple[str, ...]
    detail_prefetch: tuple[Prefetch, ...]
    list_serializer: type[serializers.Serializer]
    detail_serializer: type[serializers.Serializer]
    create_input: type[serializers.Serializer]
    content_input: type[serializers.Serializer]

    def get_queryset(self) -> QuerySet[Filing]:
        rows = self.model.objects.visible_to(self.request.user).select_related(*self.related)
        return rows.order_by(*self.ordering) if self.action == "list" else rows.prefetch_related(*self.detail_prefetch)

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return self.list_serializer if self.action == "list" else self.detail_serializer

    def handle_exception(self, exc: Exception) -> Response:
        return super().handle_exception(_api_exception(exc))

    def create(self, request, *args, **kwargs) -> Response:
        data = self._parse(self.create_input)
        existed = self.model.objects.filter(unit_id__in=request.user.scope_unit_ids(), **self.key(data)).exists()
        filing = self.save_new(data)
        return self._detail(filing, status.HTTP_200_OK if existed else status.HTTP_201_CREATED)

    def update(self, request, *args, partial: bool = False, **kwargs) -> Response:
        filing = self.get_object()
        self._require_own(filing)
        self.save_content(filing, self._parse(self.content_input, partial=partial))
        return self._detail(filing)

    def partial_update(self, request, *args, **kwargs) -> Response:
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request, *args, **kwargs) -> Response:
        dispatch.filing_discard(user=request.user, filing=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None) -> Response:
        return self._detail(dispatch.filing_submit(user=request.user, filing=self.get_object()))

    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None) -> Response:
        return self._review(ReviewAction.APPROVE)

    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_for_revision(self, request, pk=None) -> Response:
        return self._review(ReviewAction.RETURN)

    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None) -> Response:
        return self._review(ReviewAction.REOPEN)

    # --- what each kind of filing says for itself ---

    def key(self, data: dict[str, Any]) -> dict[str, Any]:
        """The fields that name one filing of the user's unit (its unique constraint)."""
        raise NotImplementedError

    def save_new(self, data: dict[str, Any]) -> Filing:
        raise NotImplementedError

    def save_content(self, filing: Filing, data: dict[str, Any], files: list | None = None) -> None:
        raise NotImplementedError

    # --- helpers ---

    def _parse(self, serializer_class: type[serializers.Serializer], partial: bool = False) -> dict[str, Any]:
        serializer = serializer_class(data=self.request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _review(self, review_action: str) -> Response:
        filing = self.get_object()
        comment = self._parse(s.ReviewInputSerializer)["comment"]
        return self._detail(dispatch.filing_review(user=self.request.user, filing=filing, action=review_action, comment=comment))

    def _require_own(self, filing: Filing) -> None:
        """The save services write the filing of the unit that ``access_filing_unit`` names for
        the user (403 or 404 when there is none); the addressed filing must be that one, or a
        co-lead unit's save would land on its own filing instead of refusing."""
        role = dispatch.KINDS[self.model].role
        if dispatch.access_filing_unit(user=self.request.user, task=filing.task, role=role) != filing.unit_id:
            raise PermissionDenied("只能修改本单位的填报。")

    def _detail(self, filing: Filing, code: int = status.HTTP_200_OK) -> Response:
        # Read again with the detail's loading: the review record has a new step.
        fresh = self.get_queryset().get(pk=filing.pk)
        return Response(self.detail_serializer(fresh, context=self.get_serializer_context()).data, status=code)


class EvidenceUploadMixin:
    """佐证材料 through the API: the files go through the save service with the content as it is,
    so its checks (owner, editable, count, size, type by content) apply unchanged."""

    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser], url_path="evidence", url_name="evidence")
    def evidence(self, request, pk=None) -> Response:
        filing = self.get_object()
        self._require_own(filing)
        files = self._parse(s.EvidenceUploadInputSerializer)["files"]
        self.save_content(filing, {}, files=files)
        return self._detail(filing, status.HTTP_201_CREATED)


# --- schema ---------------------------------------------------------------------------------------

_REFUSED = {
    400: OpenApiResponse(description="输入有误或当前状态不允许：detail 为说明，各字段名下为该字段的提示"),
    403: OpenApiResponse(description="可以查看但无权操作（非本单位的填报、非营商办审核、领导与督查室只读）"),
    404: OpenApiResponse(description="不存在或不在当前用户可见范围内（其他单位的草稿同样为 404）"),
}


def _filing_schema(*, tag: str, label: str, filer: str, create_input, content_input, detail, upload: bool = False):
    def op(summary: str, description: str = "", **kwargs) -> extend_schema:
        return extend_schema(tags=[tag], summary=summary, description=description, **kwargs)

    def on_one(summary: str, description: str, request, ok: int = 200) -> extend_schema:
        return op(summary, description, parameters=[_id_parameter(label)], request=request,
                  responses={ok: detail, **_REFUSED})

    review = "营商办审核；其他角色 403。"
    views = {
        "list": op(f"{label}列表", f"当前用户可见的{label}：草稿只有本单位可见，其余随任务的可见范围。"),
        "retrieve": op(f"{label}详情", "不存在或不可见的一律 404。", parameters=[_id_parameter(label)]),
        "create": op(
            f"保存本单位的{label}", f"{filer}保存草稿：新建时 201，已有本单位的同一份{label}时更新并返回 200。"
            "草稿不检查必填项；营商办、督查室、领导 403。",
            request=create_input, responses={200: detail, 201: detail, **_REFUSED},
        ),
        "update": on_one(f"修改{label}", "只能修改本单位草稿或被退回的填报；未提供的内容字段清空。", content_input),
        "partial_update": on_one(f"部分修改{label}", "只改提供的字段。", content_input),
        "destroy": op(f"删除{label}草稿", "只能删除本单位从未提交过的草稿。", parameters=[_id_parameter(label)],
                      responses={204: None, **_REFUSED}),
        "submit": on_one(f"提交{label}", "草稿或被退回的填报提交审核；缺少必填内容时 400；逾期提交会标记。", None),
        "approve": on_one("审核通过", review, s.ReviewInputSerializer),
        "return_for_revision": on_one("退回修改", review + "须填写意见 comment。", s.ReviewInputSerializer),
        "reopen": on_one("重新打开", "营商办重新打开已通过的填报，须填写理由 comment；其他角色 403。",
                         s.ReviewInputSerializer),
    }
    if upload:
        views["evidence"] = on_one(
            "上传佐证材料", "multipart/form-data，字段 files 可重复；只能上传到本单位可修改的填报。",
            {"multipart/form-data": s.EvidenceUploadInputSerializer}, ok=201,
        )
    return extend_schema_view(**views)


def _events() -> Prefetch:
    return Prefetch("events", ReviewEvent.objects.select_related("actor").order_by("at", "id"))


def _evidence() -> Prefetch:
    return Prefetch("evidence", Evidence.objects.select_related("uploaded_by").order_by("uploaded_at", "id"))


# --- the three kinds of filing ----------------------------------------------------------------------


def _report_input(data: dict[str, Any], current: ProgressReport | None = None) -> dispatch.ReportInput:
    """The report's content: what was sent, and for a partial update the rest as it stands."""
    names = [f.name for f in dataclasses.fields(dispatch.ReportInput)]
    return dispatch.ReportInput(**{name: data[name] if name in data else getattr(current, name) for name in names})


@_filing_schema(tag="进展填报", label="进展填报", filer="牵头单位", create_input=s.ReportCreateInputSerializer,
                content_input=s.ReportContentInputSerializer, detail=s.ReportDetailOutputSerializer, upload=True)
class ReportViewSet(EvidenceUploadMixin, FilingViewSet):
    model = ProgressReport
    filterset_class = filters.ReportFilter
    related = ("task", "unit", "period")
    ordering = ("-period__year", "-period__month", "task__sort_order", "unit__sort_order", "id")
    detail_prefetch = (
        Prefetch("actuals", IndicatorActual.objects.select_related("indicator").order_by("indicator__sort_order")),
        _evidence(), _events(),
    )
    list_serializer = s.ReportOutputSerializer
    detail_serializer = s.ReportDetailOutputSerializer
    create_input = s.ReportCreateInputSerializer
    content_input = s.ReportContentInputSerializer

    def key(self, data):
        return {"task": data["task"], "period": data["period"]}

    def save_new(self, data):
        return dispatch.report_save(user=self.request.user, task=data["task"], period=data["period"],
                                    data=_report_input(data), actuals=_actuals(data))

    def save_content(self, filing, data, files=None):
        dispatch.report_save(user=self.request.user, task=filing.task, period=filing.period,
                             data=_report_input(data, filing), actuals=_actuals(data), files=files)


def _actuals(data: dict[str, Any]) -> dict:
    return {row["indicator"]: row["value"] for row in data.get("actuals", [])}


@_filing_schema(tag="配合情况", label="配合情况", filer="配合单位", create_input=s.ContributionCreateInputSerializer,
                content_input=s.ContributionContentInputSerializer, detail=s.ContributionDetailOutputSerializer)
class ContributionViewSet(FilingViewSet):
    model = Contribution
    filterset_class = filters.ContributionFilter
    related = ("task", "unit", "period")
    ordering = ("-period__year", "-period__month", "task__sort_order", "unit__sort_order", "id")
    detail_prefetch = (_events(),)
    list_serializer = s.ContributionOutputSerializer
    detail_serializer = s.ContributionDetailOutputSerializer
    create_input = s.ContributionCreateInputSerializer
    content_input = s.ContributionContentInputSerializer

    def key(self, data):
        return {"task": data["task"], "period": data["period"]}

    def save_new(self, data):
        return dispatch.contribution_save(user=self.request.user, task=data["task"], period=data["period"],
                                          text=data["text"])

    def save_content(self, filing, data, files=None):
        dispatch.contribution_save(user=self.request.user, task=filing.task, period=filing.period,
                                   text=data.get("text", filing.text))


@_filing_schema(tag="年度工作方案", label="年度工作方案", filer="牵头单位",
                create_input=s.AnnualPlanCreateInputSerializer, content_input=s.AnnualPlanContentInputSerializer,
                detail=s.AnnualPlanDetailOutputSerializer, upload=True)
class AnnualPlanViewSet(EvidenceUploadMixin, FilingViewSet):
    model = AnnualWorkPlan
    filterset_class = filters.AnnualPlanFilter
    related = ("task", "unit")
    ordering = ("-year", "task__sort_order", "unit__sort_order", "id")
    detail_prefetch = (_evidence(), _events())
    list_serializer = s.AnnualPlanOutputSerializer
    detail_serializer = s.AnnualPlanDetailOutputSerializer
    create_input = s.AnnualPlanCreateInputSerializer
    content_input = s.AnnualPlanContentInputSerializer

    def key(self, data):
        return {"task": data["task"], "year": data["year"]}

    def save_new(self, data):
        return dispatch.annual_plan_save(user=self.request.user, task=data["task"], year=data["year"],
                                         content=data["content"])

    def save_content(self, filing, data, files=None):
        dispatch.annual_plan_save(user=self.request.user, task=filing.task, year=filing.year,
                                  content=data.get("content", filing.content), files=files)
