"""Forms of the Excel round-trip pages. They shape the input; the reader and the services
decide what is in the file and whether it may be saved."""

from django import forms
from django.conf import settings

from reports.roundtrip import too_large_message


class RoundtripUploadForm(forms.Form):
    file = forms.FileField(
        label="填好的模板", help_text="平台下载的进展填报模板（.xlsx），填写后上传。",
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
        error_messages={"required": "请选择要上传的文件。", "empty": "上传的文件是空的。"},
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        # Judged by the size the upload reports, before a byte of it is read.
        if upload.size > settings.ROUNDTRIP_MAX_BYTES:
            raise forms.ValidationError(too_large_message(upload.size))
        return upload


class RoundtripConfirmForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("draft", "保存为草稿"), ("submit", "直接提交")],
        error_messages={"required": "请选择保存为草稿或直接提交。", "invalid_choice": "请选择保存为草稿或直接提交。"},
    )
