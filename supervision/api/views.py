"""Supervision API (督查督办): inspection rounds, findings through rectification to close-out
(销号), rectifications, extension requests, the escalation ladder's steps and the monthly 通报.

Views parse, call a service (writes) or read through ``visible_to`` (reads), and render. Every
rule — who may log, rectify, verify, extend, urge or reply, what a step needs, what a state
allows — is in supervision.services, and its answers become statuses here exactly as in the
monthly-dispatch API: Http404 → 404 (not yours to see), PermissionDenied → 403 (visible, not yours
to do), SupervisionError → 400 with the message under ``detail`` and each field's message under
the field's name.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from supervision import selectors, services
from supervision.api import filters
from supervision.api import serializers as s
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
from supervision.services.inspections import FindingInput, RoundInput
from supervision.services.ladder import (
    Item,
    item_for_annual_plan,
    item_for_finding,
    item_for_report,
)
from tasks.api.views import ApiPagination, _id_parameter
from tasks.api.views_dispatch import _api_exception


class SupervisionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """What the supervision endpoints share: reads scoped by ``visible_to`` (another unit's row is
    a 404), the services' refusals as statuses, and a write answered with the row read again."""

    pagination_class = ApiPagination
    lookup_value_regex = r"[0-9]+"
    list_serializer: type[serializers.Serializer]
    detail_serializer: type[serializers.Serializer]

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return self.list_serializer if self.action == "list" else self.detail_serializer

    def handle_exception(self, exc: Exception) -> Response:
        return super().handle_exception(_api_exception(exc))

    def decorate(self, rows: list) -> list:
        """What the output needs beyond the queryset (a finding's light)."""
        return rows

    def paginate_queryset(self, queryset: QuerySet) -> list:
        return self.decorate(super().paginate_queryset(queryset))

    def get_object(self) -> Any:
        return self.decorate([super().get_object()])[0]

    def _parse(self, serializer_class: type[serializers.Serializer], partial: bool = False) -> dict[str, Any]:
        serializer = serializer_class(data=self.request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _detail(self, row: Any, code: int = status.HTTP_200_OK) -> Response:
        # Read again with the detail's loading: the write changed the row and its record.
        fresh = self.decorate([self.get_queryset().get(pk=row.pk)])[0]
        return Response(self.detail_serializer(fresh, context=self.get_serializer_context()).data, status=code)


# --- schema -------------------------------------------------------------------------------------

_REFUSED = {
    400: OpenApiResponse(description="输入有误或当前状态不允许：detail 为说明，各字段名下为该字段的提示"),
    403: OpenApiResponse(description="可以查看但无权操作（如领导只读、只有督查室登记和核验问题、只有责任单位整改）"),
    404: OpenApiResponse(description="不存在或不在当前用户可见范围内（其他单位的问题同样为 404）"),
}


def _op(tag: str, summary: str, description: str = "", **kwargs) -> extend_schema:
    return extend_schema(tags=[tag], summary=summary, description=description, **kwargs)


def _reads(tag: str, label: str, list_description: str) -> dict[str, extend_schema]:
    return {
        "list": _op(tag, f"{label}列表", list_description),
        "retrieve": _op(tag, f"{label}详情", f"不存在或不在当前用户可见范围内的{label}一律返回 404。",
                        parameters=[_id_parameter(label)]),
    }


def _write(tag: str, label: str, summary: str, description: str, request, response, ok: int = 200,
           detail: bool = True) -> extend_schema:
    parameters = [_id_parameter(label)] if detail else []
    return _op(tag, summary, description, parameters=parameters, request=request, responses={ok: response, **_REFUSED})


# --- rounds -------------------------------------------------------------------------------------

M2M = ("team", "units", "tasks")


def _round_input(data: dict[str, Any], current: InspectionRound) -> RoundInput:
    """The round as sent, and for a partial update the rest as it stands."""

    def now(name: str) -> Any:
        value = getattr(current, name)
        return list(value.all()) if name in M2M else value  # prefetched by the detail's queryset

    return RoundInput(**{f.name: data[f.name] if f.name in data else now(f.name) for f in dataclasses.fields(RoundInput)})


_ROUNDS = "督查轮次"


@extend_schema_view(
    **_reads(_ROUNDS, "督查轮次", "营商办、督查室、领导看到全部轮次；单位用户只看到发现过本单位问题的轮次。"
             "可按年度、季度、状态筛选。"),
    create=_write(_ROUNDS, "督查轮次", "新建督查轮次", "督查室和营商办安排季度专项督查；其他角色 403。",
                  s.RoundInputSerializer, s.RoundDetailOutputSerializer, ok=201, detail=False),
    update=_write(_ROUNDS, "督查轮次", "修改督查轮次", "督查室和营商办；未提供的字段取默认值（成员、单位、任务清空）。",
                  s.RoundInputSerializer, s.RoundDetailOutputSerializer),
    partial_update=_write(_ROUNDS, "督查轮次", "部分修改督查轮次", "只改提供的字段；结束督查（concluded）须有督查结论。",
                          s.RoundInputSerializer, s.RoundDetailOutputSerializer),
)
class RoundViewSet(mixins.UpdateModelMixin, SupervisionViewSet):
    filterset_class = filters.RoundFilter
    list_serializer = s.RoundOutputSerializer
    detail_serializer = s.RoundDetailOutputSerializer

    def get_queryset(self) -> QuerySet[InspectionRound]:
        rounds = selectors.round_list(user=self.request.user)
        return rounds if self.action == "list" else rounds.select_related("created_by").prefetch_related(*M2M)

    def create(self, request, *args, **kwargs) -> Response:
        data = RoundInput(**self._parse(s.RoundInputSerializer))
        return self._detail(services.round_create(user=request.user, data=data), status.HTTP_201_CREATED)

    def update(self, request, *args, partial: bool = False, **kwargs) -> Response:
        round_ = self.get_object()
        data = _round_input(self._parse(s.RoundInputSerializer, partial=partial), round_)
        return self._detail(services.round_update(user=request.user, round_=round_, data=data))


# --- findings -----------------------------------------------------------------------------------


def _extensions() -> QuerySet[ExtensionRequest]:
    return ExtensionRequest.objects.select_related("finding", "finding__unit", "requested_by", "decided_by")


_FINDINGS = "督查问题"
_FINDING_DETAIL = s.FindingDetailOutputSerializer


@extend_schema_view(
    **_reads(_FINDINGS, "督查问题",
             "单位用户只看到针对本单位（含其内设机构）的问题；营商办、督查室、领导看到全部。每条带红黄绿灯和剩余工作日。"
             "可按状态、责任单位、督查轮次、严重程度、是否逾期（overdue=true）筛选。"),
    create=_write(_FINDINGS, "督查问题", "登记督查问题",
                  "只有督查室可以登记；整改时限按工作日历算出截止日期。取证材料请在页面上传。其他角色 403。",
                  s.FindingCreateInputSerializer, _FINDING_DETAIL, ok=201, detail=False),
    rectification=_write(_FINDINGS, "督查问题", "保存整改情况",
                         "责任单位填写整改措施和整改结果（提交前可反复修改）；其他能看到该问题的角色 403。",
                         s.RectificationInputSerializer, _FINDING_DETAIL),
    submit=_write(_FINDINGS, "督查问题", "提交核验", "责任单位提交整改情况，整改措施和整改结果必填；逾期提交会记录。",
                  None, _FINDING_DETAIL),
    verify=_write(_FINDINGS, "督查问题", "核验整改",
                  "只有督查室：action=close 销号，action=reject 退回整改（须写明原因 comment）。", s.VerifyInputSerializer,
                  _FINDING_DETAIL),
    extension=_write(_FINDINGS, "督查问题", "申请延期",
                     "责任单位在截止日期前申请，申请日期须晚于当前截止日期；同一问题只能有一份待审批的申请。",
                     s.ExtensionRequestInputSerializer, s.ExtensionOutputSerializer, ok=201),
)
class FindingViewSet(SupervisionViewSet):
    filterset_class = filters.FindingFilter
    list_serializer = s.FindingOutputSerializer
    detail_serializer = _FINDING_DETAIL

    def get_queryset(self) -> QuerySet[Finding]:
        findings = selectors.finding_list(user=self.request.user)
        if self.action == "list":
            return findings
        return findings.select_related("created_by", "rectification__updated_by").prefetch_related(
            Prefetch("evidence", FindingEvidence.objects.select_related("uploaded_by").order_by("uploaded_at", "id")),
            Prefetch("events", FindingEvent.objects.select_related("actor").order_by("at", "id")),
            Prefetch("extensions", _extensions().order_by("-requested_at", "-id")),
        )

    def decorate(self, rows: list[Finding]) -> list[Finding]:
        # One query for the calendar's overrides when a row's clock runs.
        return selectors.findings_with_lights(rows)

    def create(self, request, *args, **kwargs) -> Response:
        data = self._parse(s.FindingCreateInputSerializer)
        round_ = data.pop("round")
        finding = services.finding_create(user=request.user, round_=round_, data=FindingInput(**data))
        return self._detail(finding, status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def rectification(self, request, pk=None) -> Response:
        finding = self.get_object()
        data = self._parse(s.RectificationInputSerializer)
        services.finding_rectification_save(user=request.user, finding=finding, **data)
        return self._detail(finding)

    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None) -> Response:
        return self._detail(services.finding_submit(user=request.user, finding=self.get_object()))

    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None) -> Response:
        finding = self.get_object()
        data = self._parse(s.VerifyInputSerializer)
        close = data["action"] == "close"
        return self._detail(services.finding_verify(user=request.user, finding=finding, close=close,
                                                    comment=data["comment"]))

    @action(detail=True, methods=["post"])
    def extension(self, request, pk=None) -> Response:
        finding = self.get_object()
        data = self._parse(s.ExtensionRequestInputSerializer)
        extension = services.extension_request(user=request.user, finding=finding, **data)
        output = s.ExtensionOutputSerializer(_extensions().get(pk=extension.pk), context=self.get_serializer_context())
        return Response(output.data, status=status.HTTP_201_CREATED)


# --- rectifications and extensions ---------------------------------------------------------------


@extend_schema_view(**_reads(
    "整改情况", "整改情况",
    "责任单位填写的整改情况，随问题的可见范围（单位用户只看到本单位的）。可按问题、责任单位、是否已提交核验筛选。"
    "填写与提交请用 findings/{id}/rectification/ 和 findings/{id}/submit/。",
))
class RectificationViewSet(SupervisionViewSet):
    filterset_class = filters.RectificationFilter
    list_serializer = detail_serializer = s.RectificationOutputSerializer

    def get_queryset(self) -> QuerySet[Rectification]:
        return (Rectification.objects.filter(finding__in=Finding.objects.visible_to(self.request.user))
                .select_related("finding", "finding__unit", "updated_by").order_by("-updated_at", "-pk"))


_EXTENSIONS = "延期申请"


@extend_schema_view(
    **_reads(_EXTENSIONS, "延期申请", "随问题的可见范围（单位用户只看到本单位的）。可按状态、问题、责任单位筛选。"
             "申请请用 findings/{id}/extension/。"),
    decide=_write(_EXTENSIONS, "延期申请", "审批延期申请",
                  "只有营商办：grant=true 同意（due_date 不填则按申请的日期，截止日期随之顺延、催办重新计算），"
                  "grant=false 不同意（须写明理由 comment）；已审批的 400。",
                  s.ExtensionDecisionInputSerializer, s.ExtensionOutputSerializer),
)
class ExtensionViewSet(SupervisionViewSet):
    filterset_class = filters.ExtensionFilter
    list_serializer = detail_serializer = s.ExtensionOutputSerializer

    def get_queryset(self) -> QuerySet[ExtensionRequest]:
        visible = Finding.objects.visible_to(self.request.user)
        return _extensions().filter(finding__in=visible).order_by("-requested_at", "-pk")

    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None) -> Response:
        extension = self.get_object()
        data = self._parse(s.ExtensionDecisionInputSerializer)
        return self._detail(services.extension_decide(user=request.user, extension=extension, **data))


# --- the ladder ---------------------------------------------------------------------------------


def _item(data: dict[str, Any]) -> Item:
    """The item the office names (the input serializer checked that its parts fit together)."""
    if data["finding"] is not None:
        return item_for_finding(data["finding"])
    if data["period"] is not None:
        return item_for_report(task=data["task"], unit_id=data["unit"].pk, period=data["period"])
    return item_for_annual_plan(task=data["task"], unit_id=data["unit"].pk, year=data["year"])


_ESCALATIONS = "督办记录"


@extend_schema_view(
    **_reads(_ESCALATIONS, "督办记录",
             "提醒、催办、督办单、通报的每一步，最近的在前；单位用户只看到发给本单位的。"
             "可按级别、责任单位、事项类型、问题、是否待回复（awaiting_reply=true）筛选。"),
    create=_write(_ESCALATIONS, "督办记录", "人工发起催办或督办单",
                  "只有营商办：level=urge 催办（须填 message），level=notice 督办单（另须 required_action 和晚于今天的 "
                  "new_due_date）。督办事项用 finding，或 task、unit、period（进展填报），或 task、unit、year（年度工作方案）指明。",
                  s.EscalationSendInputSerializer, s.EscalationDetailOutputSerializer, ok=201, detail=False),
    reply=_write(_ESCALATIONS, "督办记录", "回复催办或督办单",
                 "责任单位回复一次；提醒和通报不需要回复（400）；其他能看到的角色 403。",
                 s.EscalationReplyInputSerializer, s.EscalationDetailOutputSerializer),
)
class EscalationViewSet(SupervisionViewSet):
    filterset_class = filters.EscalationFilter
    list_serializer = s.EscalationOutputSerializer
    detail_serializer = s.EscalationDetailOutputSerializer

    def get_queryset(self) -> QuerySet[Escalation]:
        rows = selectors.escalation_list(user=self.request.user).select_related("replied_by")
        return rows if self.action == "list" else rows.prefetch_related("recipients")

    def create(self, request, *args, **kwargs) -> Response:
        data = self._parse(s.EscalationSendInputSerializer)
        escalation = services.escalation_send(
            user=request.user, item=_item(data), level=data["level"], message=data["message"],
            required_action=data["required_action"], new_due_date=data["new_due_date"],
        )
        return self._detail(escalation, status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def reply(self, request, pk=None) -> Response:
        escalation = self.get_object()
        text = self._parse(s.EscalationReplyInputSerializer)["reply"]
        return self._detail(services.escalation_reply(user=request.user, escalation=escalation, text=text))


@extend_schema_view(**_reads(
    "通报", "通报",
    "每月通报：逾期或多次被退回的事项及其单位。所有登录用户可读；单位用户只看到、只计入本单位的事项。可按年度筛选。",
))
class BulletinViewSet(SupervisionViewSet):
    filterset_class = filters.BulletinFilter
    list_serializer = s.BulletinOutputSerializer
    detail_serializer = s.BulletinDetailOutputSerializer

    def get_queryset(self) -> QuerySet[Bulletin]:
        # The 通报 is published to all; its entries, and their counts, only as far as the user
        # may see escalations.
        entries = Escalation.objects.visible_to(self.request.user)
        seen = Q(entries__in=entries)
        bulletins = Bulletin.objects.select_related("compiled_by").annotate(
            entry_count=Count("entries", filter=seen), unit_count=Count("entries__unit", filter=seen, distinct=True),
        ).order_by("-year", "-month")
        if self.action == "list":
            return bulletins
        entries = entries.select_related("unit", "finding", "task", "period").order_by("unit__sort_order", "pk")
        return bulletins.prefetch_related(Prefetch("entries", entries, to_attr="visible_entries"))
