"""Download of the 任务分工表 from the plan page: who gets which rows (permission matrix)."""

from io import BytesIO
from urllib.parse import quote, unquote

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tasks.models import Task

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def ledger_url(plan_pk: int) -> str:
    return reverse("plan-ledger", kwargs={"pk": plan_pk})


def downloaded_codes(response) -> list[str]:
    sheet = load_workbook(BytesIO(response.content)).active
    return [row[2] for row in sheet.iter_rows(min_row=4, values_only=True)]


def test_url():
    assert ledger_url(7) == "/plans/7/ledger.xlsx"


@pytest.mark.parametrize(
    ("persona", "sees_1_1"),
    [
        ("office", True),
        ("inspector", True),
        ("leader", True),
        ("lead_user", True),
        ("supporting_user", True),
        ("outsider", False),
    ],
    indirect=["persona"],
)
def test_rows_follow_visibility(client, plan, persona, sees_1_1):
    client.force_login(persona)
    response = client.get(ledger_url(plan.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    codes = downloaded_codes(response)
    visible = Task.objects.visible_to(persona).active().filter(plan=plan).order_by("sort_order")
    assert codes == list(visible.values_list("code", flat=True))
    assert ("1.1" in codes) is sees_1_1


@pytest.mark.parametrize("persona", ["office", "inspector", "leader"], indirect=True)
def test_overseers_get_every_task(client, plan, persona):
    client.force_login(persona)
    assert len(downloaded_codes(client.get(ledger_url(plan.pk)))) == 57


def test_outsider_gets_only_its_task(client, plan, outsider):
    client.force_login(outsider)
    assert downloaded_codes(client.get(ledger_url(plan.pk))) == ["保障5"]


def test_attachment_with_chinese_filename(client, plan, office):
    client.force_login(office)
    disposition = client.get(ledger_url(plan.pk))["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f'filename="plan-{plan.pk}-ledger.xlsx"' in disposition  # ASCII fallback
    encoded = disposition.split("filename*=UTF-8''", 1)[1]
    assert encoded == quote(unquote(encoded), safe="")  # percent-encoded, nothing raw
    filename = unquote(encoded)
    assert filename.startswith(f"{plan.title}任务分工表_") and filename.endswith(".xlsx")


def test_anonymous_is_sent_to_login(client, plan):
    url = ledger_url(plan.pk)
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={quote(url)}"


def test_unknown_plan_is_404(client, plan, office):
    client.force_login(office)
    assert client.get(ledger_url(999999)).status_code == 404


def test_only_get(client, plan, office):
    client.force_login(office)
    assert client.post(ledger_url(plan.pk)).status_code == 405
