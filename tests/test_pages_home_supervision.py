"""The home page's 督查督办 panel (settings.HOME_PANELS): what waits on the user, counted."""

import pytest
from django.urls import reverse

from supervision.services import deadline_scan, extension_request
from tests.supervision_data import d, frozen, make_finding, make_round

pytestmark = pytest.mark.django_db


def figures(client) -> dict[str, int]:
    with frozen(d("2025-10-21")):
        panels = client.get(reverse("home")).context["panels"]
    assert len(panels) == 1
    return {figure.label: figure.count for figure in panels[0]["figures"]}


@pytest.fixture
def findings(inspector, lead_user):
    """Two findings against 审批局: one overdue since 13 October with its 催办 and 督办单 (scan of
    21 October), one due in December with an extension request; one against 沣东新城."""
    round_ = make_round(inspector)
    late = make_finding(inspector, round_, found_on=d("2025-09-29"))
    later = make_finding(inspector, round_, found_on=d("2025-10-20"), working_days=40)
    make_finding(inspector, round_, found_on=d("2025-10-20"), unit_name="沣东新城")
    with frozen(d("2025-10-21")):
        extension_request(user=lead_user, finding=later, requested_due_date=d("2025-12-31"), reason="需协调。")
        deadline_scan()
    return late, later


def test_a_unit_sees_what_it_owes(client, findings, lead_user):
    client.force_login(lead_user)
    assert figures(client) == {"待整改": 2, "已逾期": 1, "待回复的催办/督办单": 2}


def test_the_office_sees_what_waits_on_it(client, findings, office):
    client.force_login(office)
    assert figures(client) == {"待核验": 0, "已逾期": 1, "待审批延期申请": 1}


def test_the_panel_links_to_the_lists_behind_it(client, findings, lead_user):
    client.force_login(lead_user)
    with frozen(d("2025-10-21")):
        html = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("supervision:finding-list")}?overdue=1"' in html
    assert f'href="{reverse("supervision:escalation-list")}?awaiting=1"' in html
