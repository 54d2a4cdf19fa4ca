"""seed_demo: repeatable, and the accounts it documents can sign in with their roles."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from tasks.choices import Role
from tasks.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from tasks.models import User


@pytest.mark.django_db
def test_seed_demo_twice_and_sign_in(client, plan):
    call_command("seed_demo", without_history=True)
    call_command("seed_demo", without_history=True)
    assert User.objects.filter(username__in=[a[0] for a in DEMO_ACCOUNTS]).count() == len(DEMO_ACCOUNTS)
    staff = User.objects.filter(role=Role.UNIT_STAFF)
    lead_units = {u.unit.name for u in staff if u.unit.assignments.filter(role="lead").exists()}
    assert len(lead_units) >= 3 and staff.count() >= 5
    response = client.post(reverse("login"), {"username": "shenpi", "password": DEMO_PASSWORD})
    assert response.status_code == 302 and client.get(reverse("home")).status_code == 200


@pytest.mark.django_db
def test_office_manages_units_and_accounts_in_the_admin(client, plan):
    call_command("seed_demo", without_history=True)
    client.force_login(User.objects.get(username="yingshangban"))
    assert client.get(reverse("admin:tasks_unit_changelist")).status_code == 200
    assert client.get(reverse("admin:tasks_user_add")).status_code == 200
    assert client.get(reverse("admin:tasks_workingdayoverride_add")).status_code == 200
    client.force_login(User.objects.get(username="shenpi"))
    assert client.get(reverse("admin:tasks_unit_changelist")).status_code == 302  # not staff
