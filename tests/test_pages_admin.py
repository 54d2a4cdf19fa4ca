"""管理后台: every model of the tasks app is registered, and its pages open for a superuser."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from tasks.models import ActionPlan, Indicator, Task, TaskAssignment, Unit
from tests.factories import UserFactory


def tasks_models() -> list:
    """The app's own models; simple_history's Historical* shadows are reached through them."""
    return [m for m in apps.get_app_config("tasks").get_models() if not m.__name__.startswith("Historical")]


@pytest.fixture
def as_superuser(client, plan):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def admin_url(model, action: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


def test_every_tasks_model_is_registered():
    missing = [m.__name__ for m in tasks_models() if not admin.site.is_registered(m)]
    assert missing == []


@pytest.mark.parametrize("model", tasks_models(), ids=lambda m: m.__name__)
def test_changelist_opens(as_superuser, model):
    response = as_superuser.get(admin_url(model, "changelist"))
    assert response.status_code == 200


@pytest.mark.parametrize("model", [Unit, ActionPlan, Task, TaskAssignment, Indicator], ids=lambda m: m.__name__)
def test_change_and_history_pages_open(as_superuser, model):
    obj = model.objects.order_by("pk").first()
    assert as_superuser.get(admin_url(model, "change", obj.pk)).status_code == 200
    assert as_superuser.get(admin_url(model, "history", obj.pk)).status_code == 200


def test_admin_is_in_chinese_and_searches_units_by_alias(as_superuser):
    response = as_superuser.get(admin_url(Unit, "changelist"), {"q": "人社局"})
    html = response.content.decode()
    assert "管理后台" in html
    assert list(response.context["cl"].result_list) == [Unit.objects.get(name="新区人社民政局")]


def test_unit_autocomplete_serves_the_task_assignment_form(as_superuser):
    response = as_superuser.get(reverse("admin:autocomplete"), {
        "app_label": "tasks", "model_name": "taskassignment", "field_name": "unit", "term": "沣东",
    })
    assert response.status_code == 200
    assert [row["text"] for row in response.json()["results"]] == ["沣东新城"]


def test_user_admin_shows_unit_and_role(as_superuser, lead_user):
    html = as_superuser.get(admin_url(type(lead_user), "change", lead_user.pk)).content.decode()
    assert "单位与角色" in html and 'name="role"' in html and 'name="unit"' in html
    changelist = as_superuser.get(admin_url(type(lead_user), "changelist")).content.decode()
    assert "新区行政审批与政务服务局" in changelist


def test_non_staff_users_are_kept_out(client, lead_user):
    client.force_login(lead_user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
