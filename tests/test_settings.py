"""Settings fail loudly on bad production values; zh-hans dates parse in both spellings."""

import datetime
import os
import subprocess
import sys

import pytest
from django import forms
from django.conf import settings
from django.utils import translation


def start(**env) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS"}}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={**base, "DJANGO_SETTINGS_MODULE": "xixian_portal.settings", **env},
        capture_output=True, text=True, cwd=settings.BASE_DIR, check=False,
    )


def test_production_without_secret_key_refuses_to_start():
    result = start(DEBUG="0", ALLOWED_HOSTS="portal.example")
    assert result.returncode != 0 and "必须设置 SECRET_KEY" in result.stderr


def test_production_with_weak_secret_key_refuses_to_start():
    result = start(DEBUG="0", SECRET_KEY="short", ALLOWED_HOSTS="portal.example")
    assert result.returncode != 0 and "SECRET_KEY 太弱" in result.stderr


def test_production_without_allowed_hosts_refuses_to_start():
    result = start(DEBUG="0", SECRET_KEY="k" * 30 + "abcdefghijklmnopqrstuvwxyz")
    assert result.returncode != 0 and "ALLOWED_HOSTS" in result.stderr


def test_bad_boolean_is_named():
    result = start(DEBUG="maybe")
    assert result.returncode != 0 and "DEBUG='maybe'" in result.stderr


def test_production_settings_start():
    result = start(DEBUG="0", SECRET_KEY="k" * 30 + "abcdefghijklmnopqrstuvwxyz", ALLOWED_HOSTS="portal.example")
    assert result.returncode == 0, result.stderr


class DateForm(forms.Form):
    day = forms.DateField()


@pytest.mark.parametrize("text", ["2026年6月30日", "2026年06月30日", "2026-06-30", "2026/6/30"])
def test_chinese_date_input(text):
    with translation.override("zh-hans"):
        form = DateForm(data={"day": text})
        assert form.is_valid(), form.errors
        assert form.cleaned_data["day"] == datetime.date(2026, 6, 30)


def test_settings_are_chinese_and_aware():
    assert (settings.LANGUAGE_CODE, settings.TIME_ZONE, settings.USE_TZ) == ("zh-hans", "Asia/Shanghai", True)
