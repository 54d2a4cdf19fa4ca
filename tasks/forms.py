"""Forms of the tasks pages. They shape and validate input; they decide nothing."""

from django.contrib.auth.forms import AuthenticationForm


class LoginForm(AuthenticationForm):
    """The sign-in form, with messages in plain Chinese (Django's stock wording is stiff)."""

    error_messages = {
        "invalid_login": "用户名或密码不正确，请注意区分大小写。连续输错多次后账号将被临时锁定。",
        "inactive": "该账号已停用，请联系新区营商办。",
    }
