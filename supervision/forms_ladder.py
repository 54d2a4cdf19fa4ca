"""Forms of the escalation ladder's pages (督办). They shape and check input; the rules —
who may send, reply or decide, what a 督办单 needs, which dates are allowed — live in
``supervision.services``, whose refusals the views put beside the fields they name."""

from __future__ import annotations

from django import forms

from supervision.choices import ItemKind, Level
from tasks.models import Unit

TEXTAREA = {"rows": 4}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class ReplyForm(forms.Form):
    """The responsible unit's answer to a 催办 or 督办单."""

    reply = forms.CharField(label="回复内容", max_length=4000, widget=forms.Textarea(attrs=TEXTAREA),
                            error_messages={"required": "请填写回复内容。"},
                            help_text="写明已采取的措施、办理结果或预计完成时间；只能回复一次。")


class EscalationForm(forms.Form):
    """催办 or 督办单 by hand. What a 督办单 must carry is checked by the service."""

    level = forms.ChoiceField(label="督办级别", widget=forms.RadioSelect,
                              choices=[(Level.URGE.value, Level.URGE.label), (Level.NOTICE.value, Level.NOTICE.label)])
    message = forms.CharField(label="内容（督办事由）", required=False, max_length=4000, widget=forms.Textarea(attrs=TEXTAREA))
    required_action = forms.CharField(label="督办要求", required=False, max_length=4000,
                                      widget=forms.Textarea(attrs={"rows": 3}), help_text="仅督办单：要求单位采取的措施。")
    new_due_date = forms.DateField(label="限期办结日期", required=False, widget=DateInput(),
                                   help_text="仅督办单：默认为今天起若干个工作日后，可修改。")

    def clean(self):
        data = super().clean()
        if data.get("level") != Level.NOTICE:
            # A 催办 carries neither: what was typed for a 督办单 is not sent with it.
            data["required_action"], data["new_due_date"] = "", None
        return data


class EscalationFilterForm(forms.Form):
    """Filters of the escalation list; the unit filter only for those who see every unit."""

    level = forms.ChoiceField(label="级别", required=False, choices=[("", "全部"), *Level.choices])
    unit = forms.ModelChoiceField(label="单位", required=False, empty_label="全部", queryset=Unit.objects.none())
    awaiting = forms.BooleanField(label="待回复", required=False)

    def __init__(self, *args, sees_everything: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if sees_everything:
            self.fields["unit"].queryset = Unit.objects.assignable().order_by("sort_order", "pk")
        else:
            del self.fields["unit"]


class OverdueFilterForm(forms.Form):
    """Filters of the overdue board: the kind of item and the unit (the units on the board)."""

    kind = forms.ChoiceField(label="事项类型", required=False, choices=[("", "全部"), *ItemKind.choices])
    unit = forms.TypedChoiceField(label="责任单位", required=False, coerce=int, empty_value=None, choices=[])

    def __init__(self, *args, units: list[Unit], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", "全部"), *((u.pk, u.short_name) for u in units)]


class ExtensionDecisionForm(forms.Form):
    """Grant (a new due date, the requested one unless changed) or refuse (with a reason)."""

    decision = forms.ChoiceField(choices=[("grant", "同意延期"), ("refuse", "不同意")], widget=forms.HiddenInput)
    due_date = forms.DateField(label="批准延至", required=False, widget=DateInput())
    comment = forms.CharField(label="审批意见", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
                              help_text="不同意时必须写明理由。")


class BulletinCompileForm(forms.Form):
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    month = forms.IntegerField(label="月份", min_value=1, max_value=12)


class MessengerForm(forms.Form):
    """The office's messenger robot; an empty address clears it. The service checks the URL."""

    url = forms.CharField(label="机器人地址（Webhook）", required=False, max_length=500,
                          widget=forms.URLInput(attrs={"placeholder": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…"}),
                          help_text="只接受 https 地址，且不能指向内网、本机或保留地址；留空并保存即清除。")
    is_active = forms.BooleanField(label="启用推送", required=False)
