"""The account settings form (账户设置). It checks the input; ``inbox.account_update`` saves it."""

from django import forms


class AccountForm(forms.Form):
    email = forms.EmailField(
        label="电子邮箱", required=False, max_length=254,
        help_text="站内消息会同时发送到这个邮箱；不填写则只在平台内提醒。",
        error_messages={
            "invalid": "请输入有效的电子邮箱地址，例如 zhangsan@xixian.gov.cn。",
            "max_length": "电子邮箱地址过长（最多 254 个字符）。",
        },
    )
    email_notifications = forms.BooleanField(
        label="接收邮件通知", required=False,
        help_text="关闭后，提醒、催办、审核结果等消息只在平台的「消息」中显示。",
    )
