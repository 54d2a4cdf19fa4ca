"""Forms of the tasks pages. They shape and validate input; they decide nothing."""

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm


class LoginForm(AuthenticationForm):
    """The sign-in form, with messages in plain Chinese (Django's stock wording is stiff)."""

    error_messages = {
        "invalid_login": "用户名或密码不正确，请注意区分大小写。连续输错多次后账号将被临时锁定。",
        "inactive": "该账号已停用，请联系新区营商办。",
    }


class PlanUploadForm(forms.Form):
    """方案导入: the official text of a plan, as .txt (UTF-8) or .docx."""

    file = forms.FileField(
        label="方案文件", help_text="官方文本，UTF-8 编码的 .txt 或 Word .docx",
        error_messages={"required": "请选择要上传的方案文件。", "empty": "上传的文件是空的。"},
    )
    with_seed_indicators = forms.BooleanField(
        label="同时导入内置的 2020—2022 年方案指标", required=False,
        help_text="只在重新导入内置方案时勾选；其他方案的指标请在管理后台录入。",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.PLAN_UPLOAD_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(f"文件过大：{upload.size // 1024} KB，上限为 {limit // 1024} KB。")
        return upload


class PlanEndForm(forms.Form):
    """调整结束日期: the office extends a plan or closes it early, and says why."""

    ends_on = forms.DateField(
        label="新的结束日期", widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": "请填写新的结束日期。", "invalid": "日期格式应为 年-月-日，例如 2023-06-30。"},
    )
    reason = forms.CharField(
        label="调整理由", max_length=100, widget=forms.TextInput(attrs={"placeholder": "例如：经领导小组同意延期至2023年6月"}),
        error_messages={"required": "请填写调整结束日期的理由。", "max_length": "理由最多 100 个字。"},
    )
