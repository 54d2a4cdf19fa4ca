"""管理后台 accounts: the office manages the units' accounts but can never reach privileges.

Superuser status, staff status, groups and permissions are a superuser's alone; superusers'
accounts (their change, password and delete pages) do not exist for the office.
"""

import pytest
from django.urls import reverse

from tasks.choices import Role
from tasks.demo import office_group_get
from tasks.models import User
from tests.factories import UserFactory


@pytest.fixture
def office_admin(plan) -> User:
    """An office account as the demo makes it: staff, in the 营商办管理员 group."""
    user = UserFactory.in_unit("新区党工委组织部（营商办）", role=Role.OFFICE, username="office_admin",
                               is_staff=True)
    user.groups.add(office_group_get())
    return user


@pytest.fixture
def superuser(plan) -> User:
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def change_url(user: User) -> str:
    return reverse("admin:tasks_user_change", args=[user.pk])


def change_form_post(client, user: User, **extra) -> dict:
    """The change form's fields as the page offers them, with ``extra`` forged on top."""
    form = client.get(change_url(user)).context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if name in {"date_joined", "last_login"}:  # split date and time widgets
            data[f"{name}_0"], data[f"{name}_1"] = (value.date(), value.time()) if value else ("", "")
        elif name != "password":
            data[name] = "" if value is None else value
    data.update(extra)
    return data


def test_the_office_form_offers_no_privilege_field(client, office_admin, lead_user):
    client.force_login(office_admin)
    response = client.get(change_url(lead_user))
    assert response.status_code == 200
    fields = set(response.context["adminform"].form.fields)
    assert {"username", "unit", "role", "is_active"} <= fields
    assert not fields & {"is_superuser", "is_staff", "groups", "user_permissions"}


def test_the_office_cannot_make_itself_superuser(client, office_admin):
    client.force_login(office_admin)
    data = change_form_post(client, office_admin, is_superuser="on", is_staff="on",
                            groups=[], user_permissions=[])
    response = client.post(change_url(office_admin), data)
    assert response.status_code == 302
    office_admin.refresh_from_db()
    assert not office_admin.is_superuser
    assert list(office_admin.groups.values_list("name", flat=True)) == ["营商办管理员"]


def test_the_office_cannot_make_another_account_superuser(client, office_admin, lead_user):
    client.force_login(office_admin)
    data = change_form_post(client, lead_user, is_superuser="on", is_staff="on",
                            full_name="改名")
    assert client.post(change_url(lead_user), data).status_code == 302
    lead_user.refresh_from_db()
    assert lead_user.full_name == "改名"  # the ordinary fields are the office's to change
    assert not lead_user.is_superuser and not lead_user.is_staff


def test_the_office_add_form_makes_no_superuser(client, office_admin):
    client.force_login(office_admin)
    response = client.post(reverse("admin:tasks_user_add"), {
        "username": "newcomer", "password1": "Vq8#kd2!Lm", "password2": "Vq8#kd2!Lm",
        "usable_password": "true", "full_name": "新人", "unit": office_admin.unit_id,
        "role": Role.UNIT_STAFF, "is_superuser": "on", "is_staff": "on",
    })
    assert response.status_code == 302
    newcomer = User.objects.get(username="newcomer")
    assert not newcomer.is_superuser and not newcomer.is_staff


@pytest.mark.parametrize("page", ["change", "password", "delete", "history"])
def test_superusers_accounts_do_not_exist_for_the_office(client, office_admin, superuser, page):
    client.force_login(office_admin)
    name = "auth_user_password_change" if page == "password" else f"tasks_user_{page}"
    url = reverse(f"admin:{name}", args=[superuser.pk])
    response = client.get(url, follow=True)
    assert response.status_code in {403, 404} or response.redirect_chain[-1][0] == reverse("admin:index")
    assert 'value="root"' not in response.content.decode()


def test_the_office_cannot_reset_a_superusers_password(client, office_admin, superuser):
    client.force_login(office_admin)
    before = User.objects.get(pk=superuser.pk).password
    client.post(reverse("admin:auth_user_password_change", args=[superuser.pk]),
                {"password1": "Vq8#kd2!Lm", "password2": "Vq8#kd2!Lm", "usable_password": "true"})
    assert User.objects.get(pk=superuser.pk).password == before


def test_the_office_list_hides_superusers(client, office_admin, superuser, lead_user):
    client.force_login(office_admin)
    listed = set(client.get(reverse("admin:tasks_user_changelist")).context["cl"].result_list)
    assert lead_user in listed and office_admin in listed
    assert superuser not in listed


def test_the_office_cannot_reach_groups_or_permissions(client, office_admin):
    client.force_login(office_admin)
    assert client.get(reverse("admin:auth_group_changelist")).status_code == 403


def test_a_superuser_still_makes_superusers(client, superuser, lead_user):
    client.force_login(superuser)
    form_fields = set(client.get(change_url(lead_user)).context["adminform"].form.fields)
    assert {"is_superuser", "is_staff", "groups", "user_permissions"} <= form_fields
    data = change_form_post(client, lead_user, is_superuser="on", is_staff="on")
    assert client.post(change_url(lead_user), data).status_code == 302
    lead_user.refresh_from_db()
    assert lead_user.is_superuser and lead_user.is_staff
