"""Forms of the supervision pages (督查). They shape and check the input; whether it may be saved
is for ``supervision.services`` to say (who may log, verify, extend; statuses; deadlines)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils import timezone

from supervision.choices import FindingStatus, InspectionMethod, RoundStatus, Severity
from supervision.services.inspections import FindingInput, RoundInput
from tasks.choices import Role
from tasks.forms_filing import MultipleFileField, evidence_help
from tasks.models import Task, Unit, User

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATE_ERRORS = {"invalid": "请填写有效的日期，如 2026-03-31。"}
INT_ERRORS = {"invalid": "请填写整数。", "required": "请填写整改时限。"}


def unit_queryset():
    """Units that can be inspected (a collective name cannot), in directory order."""
    return Unit.objects.assignable().filter(is_active=True).order_by("sort_order", "pk")


def task_queryset():
    return Task.objects.filter(is_active=True).select_related("plan").order_by("plan_id", "sort_order", "pk")


class TaskChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Task) -> str:
        return f"{obj.code} {obj.title}"


class TaskMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Task) -> str:
        return f"{obj.code} {obj.title}"


class RoundForm(forms.Form):
    """督查轮次: the service checks the quarter, dates, the team and the conclusion."""

    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100,
                              error_messages={"invalid": "请填写年份，如 2026。", "required": "请填写年度。",
                                              "min_value": "年度不正确。", "max_value": "年度不正确。"},
                              widget=forms.NumberInput(attrs={"class": "input-short"}))
    quarter = forms.TypedChoiceField(label="季度", coerce=int, choices=[(q, f"第{q}季度") for q in range(1, 5)],
                                     error_messages={"required": "请选择季度。", "invalid_choice": "请选择季度。"})
    title = forms.CharField(label="名称", max_length=200, error_messages={"required": "请填写督查名称。"})
    method = forms.ChoiceField(label="督查方式", choices=InspectionMethod.choices)
    status = forms.ChoiceField(label="状态", choices=RoundStatus.choices)
    start_date = forms.DateField(label="开始日期", required=False, widget=DATE, error_messages=DATE_ERRORS)
    end_date = forms.DateField(label="结束日期", required=False, widget=DATE, error_messages=DATE_ERRORS)
    team = forms.ModelMultipleChoiceField(label="督查组成员", required=False, queryset=User.objects.none(),
                                widget=forms.SelectMultiple(attrs={"size": 6}),
                                help_text="督查室账号；按住 Ctrl 可多选。")
    units = forms.ModelMultipleChoiceField(label="督查单位", required=False, queryset=Unit.objects.none(),
                                           widget=forms.SelectMultiple(attrs={"size": 10}))
    tasks = TaskMultipleChoiceField(label="督查任务", required=False, queryset=Task.objects.none(),
                                    widget=forms.SelectMultiple(attrs={"size": 10}))
    conclusion = forms.CharField(label="督查结论", required=False, widget=forms.Textarea(attrs={"rows": 5}),
                                 help_text="结束督查（状态选「已结束」）时必填。")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = User.objects.filter(role=Role.INSPECTOR, is_active=True).order_by("pk")
        self.fields["units"].queryset = unit_queryset()
        self.fields["tasks"].queryset = task_queryset()
        for name in ("team", "units", "tasks"):
            self.fields[name].error_messages["invalid_choice"] = "所选内容已不存在，请刷新页面后重选。"

    @classmethod
    def initial_from(cls, round_) -> dict:
        fields = ("year", "quarter", "title", "method", "status", "start_date", "end_date", "conclusion")
        initial = {name: getattr(round_, name) for name in fields}
        initial |= {"team": list(round_.team.all()), "units": list(round_.units.all()), "tasks": list(round_.tasks.all())}
        return initial

    def to_input(self) -> RoundInput:
        data = self.cleaned_data
        return RoundInput(
            year=data["year"], quarter=data["quarter"], title=data["title"], method=data["method"],
            start_date=data["start_date"], end_date=data["end_date"], status=data["status"],
            conclusion=data["conclusion"], team=list(data["team"]), units=list(data["units"]), tasks=list(data["tasks"]),
        )


class FindingForm(forms.Form):
    """登记问题, one after another: unit, severity and deadline stay for the next one."""

    unit = forms.ModelChoiceField(label="责任单位", queryset=Unit.objects.none(), empty_label="请选择",
                                  error_messages={"required": "请选择责任单位。", "invalid_choice": "请选择责任单位。"})
    task = TaskChoiceField(label="相关任务", required=False, queryset=Task.objects.none(), empty_label="（不限任务）",
                           error_messages={"invalid_choice": "所选任务已不存在，请重选。"})
    description = forms.CharField(label="问题描述", widget=forms.Textarea(attrs={"rows": 3}),
                                  error_messages={"required": "请填写问题描述。"})
    severity = forms.ChoiceField(label="严重程度", choices=Severity.choices, initial=Severity.GENERAL)
    deadline_working_days = forms.IntegerField(
        label="整改时限（工作日）", min_value=1, max_value=250,
        widget=forms.NumberInput(attrs={"class": "input-short", "min": 1, "max": 250}),
        error_messages={**INT_ERRORS, "min_value": "整改时限应为 1 到 250 个工作日。",
                        "max_value": "整改时限应为 1 到 250 个工作日。"},
        help_text="从发现日期起按工作日计算截止日期（节假日、调休已计入）。",
    )
    found_on = forms.DateField(label="发现日期", required=False, widget=DATE, error_messages=DATE_ERRORS)
    files = MultipleFileField(label="督查取证材料")

    KEPT = ("unit", "severity", "deadline_working_days")

    def __init__(self, *args, round_=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = unit_queryset()
        self.fields["task"].queryset = task_queryset()
        self.fields["files"].help_text = evidence_help()
        self.fields["deadline_working_days"].initial = settings.FINDING_DEADLINE_WORKING_DAYS
        self.fields["found_on"].initial = timezone.localdate
        if round_ is not None:
            self._scope_first(round_)

    def _scope_first(self, round_) -> None:
        """Tasks in the round's scope first (an optgroup), then every other task in force."""
        scope = list(round_.tasks.all())  # prefetched by round_get
        if not scope:
            return
        scope_ids = {t.pk for t in scope}
        field = self.fields["task"]
        others = [(t.pk, field.label_from_instance(t)) for t in field.queryset if t.pk not in scope_ids]
        field.choices = [("", field.empty_label), ("本轮督查任务", [(t.pk, field.label_from_instance(t)) for t in scope]),
                         ("其他任务", others)]

    @classmethod
    def initial_from(cls, query) -> dict:
        """What the last finding kept for the next one (?unit=&severity=&deadline_working_days=)."""
        return {name: query[name] for name in cls.KEPT if query.get(name)}

    def kept(self) -> dict:
        data = self.cleaned_data
        return {"unit": data["unit"].pk, "severity": data["severity"],
                "deadline_working_days": data["deadline_working_days"]}

    def to_input(self) -> FindingInput:
        data = self.cleaned_data
        return FindingInput(unit=data["unit"], task=data["task"], description=data["description"],
                            severity=data["severity"], deadline_working_days=data["deadline_working_days"],
                            found_on=data["found_on"])


class RectificationForm(forms.Form):
    """整改情况: nothing is required to save; the service names what submission needs."""

    measures = forms.CharField(label="整改措施", required=False, widget=forms.Textarea(attrs={"rows": 5}))
    result = forms.CharField(label="整改结果", required=False, widget=forms.Textarea(attrs={"rows": 4}))
    files = MultipleFileField(label="整改佐证材料")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["files"].help_text = evidence_help()


class VerifyForm(forms.Form):
    comment = forms.CharField(label="核验意见", required=False, widget=forms.Textarea(attrs={"rows": 3}),
                              help_text="退回整改时必填。")


class ExtensionForm(forms.Form):
    requested_due_date = forms.DateField(label="申请延至", widget=DATE,
                                         error_messages={**DATE_ERRORS, "required": "请选择申请延至的日期。"})
    reason = forms.CharField(label="申请理由", widget=forms.Textarea(attrs={"rows": 3}),
                             error_messages={"required": "请填写申请理由。"})


FINDING_STATUS_CHOICES = [("", "全部"), *FindingStatus.choices]
