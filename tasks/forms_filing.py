"""Forms of the monthly dispatch pages (月调度). They shape and check the input; whether it may
be saved or submitted is for ``services.dispatch`` to say. Nothing here is required: a draft
keeps whatever was typed, and the service names what is missing at submission."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.conf import settings

from tasks.evidence import CONTENT_TYPES
from tasks.models import Indicator

TEXTAREA = {"rows": 4}
ACCEPTED_EXTENSIONS = ", ".join(CONTENT_TYPES)  # .pdf, .doc, …


def evidence_help() -> str:
    """「可上传 pdf、doc、docx、xls、xlsx、jpg、png，单个文件不超过 20 MB，最多 20 个」."""
    order = list(CONTENT_TYPES)
    # .docx after .doc, .xlsx after .xls; .jpeg is .jpg.
    extensions = sorted((e for e in order if e != ".jpeg"), key=lambda e: (order.index(e.rstrip("x")), len(e)))
    kinds = "、".join(e.lstrip(".") for e in extensions)
    size = settings.EVIDENCE_MAX_BYTES / (1024 * 1024)
    return f"可上传 {kinds} 文件，单个文件不超过 {size:g} MB，每份填报最多 {settings.EVIDENCE_MAX_FILES} 个。"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (佐证材料); the service checks each one's type by content."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPTED_EXTENSIONS, "data-file-list": "files-chosen"}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(f, initial) for f in files if f]


class EvidenceFormMixin(forms.Form):
    files = MultipleFileField(label="佐证材料")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["files"].help_text = evidence_help()


class ReportForm(EvidenceFormMixin):
    """进展填报: the text, the progress, one actual per indicator of the year, the evidence."""

    completed = forms.CharField(label="本月完成情况", required=False, widget=forms.Textarea(attrs=TEXTAREA))
    problems = forms.CharField(label="存在问题", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    next_plan = forms.CharField(label="下月计划", required=False, widget=forms.Textarea(attrs=TEXTAREA))
    progress = forms.IntegerField(
        label="完成进度（%）", required=False, min_value=0, max_value=100,
        widget=forms.NumberInput(attrs={"min": 0, "max": 100, "step": 1, "class": "input-short"}),
        error_messages={
            "invalid": "完成进度应为 0 到 100 之间的整数。",
            "min_value": "完成进度应在 0 到 100 之间。",
            "max_value": "完成进度应在 0 到 100 之间。",
        },
        help_text="截至本月底，任务整体完成的百分比。",
    )
    field_order = ["completed", "problems", "next_plan", "progress"]

    def __init__(self, *args, indicators: list[Indicator] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.indicators = list(indicators)
        for indicator in self.indicators:
            self.fields[self.actual_name(indicator)] = forms.DecimalField(
                label=indicator.name, required=False, max_digits=14, decimal_places=2,
                help_text=f"目标 {indicator.target_display}（{indicator.period_display}）",
                widget=forms.NumberInput(attrs={"step": "any", "class": "input-short"}),
                error_messages={
                    "invalid": "请填写数字。",
                    "max_digits": "数字太大。",
                    "max_decimal_places": "最多保留两位小数。",
                    "max_whole_digits": "数字太大。",
                },
            )

    @staticmethod
    def actual_name(indicator: Indicator) -> str:
        return f"actual_{indicator.pk}"

    @property
    def actual_fields(self) -> list[forms.BoundField]:
        return [self[self.actual_name(indicator)] for indicator in self.indicators]

    def actuals(self) -> dict[int, Decimal | None]:
        """{indicator id: value}; an emptied field removes the actual."""
        return {i.pk: self.cleaned_data.get(self.actual_name(i)) for i in self.indicators}

    @classmethod
    def initial_from(cls, report) -> dict:
        if report is None:
            return {}
        initial = {name: getattr(report, name) for name in ("completed", "problems", "next_plan", "progress")}
        initial |= {f"actual_{a.indicator_id}": a.value for a in report.actuals.all()}
        return initial


class ContributionForm(forms.Form):
    text = forms.CharField(
        label="配合情况", required=False, widget=forms.Textarea(attrs={"rows": 8}),
        help_text="本单位本月为该任务开展的配合工作、取得的成效和需要牵头单位协调的事项。",
    )


class AnnualPlanForm(EvidenceFormMixin):
    content = forms.CharField(
        label="年度工作方案", required=False, widget=forms.Textarea(attrs={"rows": 12}),
        help_text="本年度的工作任务清单、时间节点和责任人；工作台账可作为佐证材料上传。",
    )
    field_order = ["content", "files"]
