"""管理后台 for supervision: every model is registered read-only, and its pages open."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from tests.factories import UserFactory


def supervision_models() -> list:
    return [m for m in apps.get_app_config("supervision").get_models() if not m.__name__.startswith("Historical")]


@pytest.fixture
def as_superuser(client, db):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def admin_url(model, action: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


def test_every_supervision_model_is_registered():
    assert [m.__name__ for m in supervision_models() if not admin.site.is_registered(m)] == []


@pytest.mark.parametrize("model", supervision_models(), ids=lambda m: m.__name__)
def test_changelist_opens_and_nothing_can_be_added(as_superuser, model):
    assert as_superuser.get(admin_url(model, "changelist")).status_code == 200
    assert as_superuser.get(admin_url(model, "add")).status_code == 403
