"""通报: the month's list of items that drew a 督办单, findings still owed at the month's end and
items returned BULLETIN_RETURNS times (one of them in the month); compiled once, by the office
or by the first scan of the next month."""

import pytest
from django.core.exceptions import PermissionDenied

from supervision.choices import Level
from supervision.models import Bulletin, Escalation
from supervision.services import (
    SupervisionError,
    bulletin_compile,
    deadline_scan,
    finding_rectification_save,
    finding_submit,
    finding_verify,
)
from tasks.choices import ReviewAction
from tasks.models import Notification
from tasks.services.dispatch import (
    ReportInput,
    annual_plan_save,
    filing_review,
    filing_submit,
    period_open,
    report_save,
)
from tests.supervision_data import d, frozen, make_finding, make_round, scan_days, small_plan

pytestmark = pytest.mark.django_db

REPORT = ReportInput(completed="完成审批流程再造。", next_plan="推行告知承诺制。", progress=60)


def submit(finding, user, on: str):
    with frozen(d(on), hour=10):
        finding_rectification_save(user=user, finding=finding, measures="建立清单", result="已公示")
        finding_submit(user=user, finding=finding)


def verify(finding, inspector, on: str, *, close: bool = True):
    with frozen(d(on), hour=16):
        finding_verify(user=inspector, finding=finding, close=close, comment="" if close else "证明材料不全")


def returned(filing, office, on: str):
    with frozen(d(on), hour=16):
        filing_review(user=office, filing=filing, action=ReviewAction.RETURN, comment="请补充量化数据。")


@pytest.fixture
def october(inspector, office, lead_user):
    """October 2025 as it happened (see each line), and what the 通报 must say of it."""
    round_ = make_round(inspector, quarter=4)
    found = {
        # Due 13 October; the scan of 20 October issues it a 督办单; still open at the month's end.
        "notice": make_finding(inspector, round_, found_on=d("2025-09-29")),
        # Due 24 October, still open on the 31st.
        "overdue": make_finding(inspector, round_, found_on=d("2025-10-17")),
        # Due 14 October, handed in on the 16th and closed on the 17th: settled within the month.
        "closed": make_finding(inspector, round_, found_on=d("2025-10-09"), working_days=4),
        # Due 14 October, handed in on the 30th: not owed at the month's end (awaits verification).
        "submitted": make_finding(inspector, round_, found_on=d("2025-10-09"), working_days=4),
        # Due 14 October, owed at the month's end, closed only on 5 November: it still counts.
        "late_closed": make_finding(inspector, round_, found_on=d("2025-10-09"), working_days=4),
        # Due 31 October, the month's last day: not yet overdue.
        "due_last_day": make_finding(inspector, round_, found_on=d("2025-10-24")),
        # Rejected once in October, due in November: one return is not "repeatedly".
        "rejected_once": make_finding(inspector, round_, found_on=d("2025-10-09"), working_days=20),
    }
    submit(found["closed"], lead_user, "2025-10-16")
    verify(found["closed"], inspector, "2025-10-17")
    submit(found["rejected_once"], lead_user, "2025-10-14")
    verify(found["rejected_once"], inspector, "2025-10-15", close=False)
    scan_days("2025-10-20", "2025-10-20")
    submit(found["submitted"], lead_user, "2025-10-30")
    submit(found["late_closed"], lead_user, "2025-11-03")
    verify(found["late_closed"], inspector, "2025-11-05")
    task = small_plan()[0]
    with frozen(d("2025-09-15")):
        period = period_open(year=2025, month=9)
    # The September report: returned on 26 September and again on 10 October.
    for saved_on, returned_on in (("2025-09-22", "2025-09-26"), ("2025-10-09", "2025-10-10")):
        with frozen(d(saved_on)):
            report = report_save(user=lead_user, task=task, period=period, data=REPORT)
            filing_submit(user=lead_user, filing=report)
        returned(report, office, returned_on)
    # The 2025 annual work plan: returned twice, both in September.
    for saved_on, returned_on in (("2025-09-10", "2025-09-12"), ("2025-09-18", "2025-09-19")):
        with frozen(d(saved_on)):
            plan = annual_plan_save(user=lead_user, task=task, year=2025, content="年度工作方案。")
            filing_submit(user=lead_user, filing=plan)
        returned(plan, office, returned_on)
    return found, report


def entries(bulletin) -> dict[str, str]:
    """Item label → reasons, of the 通报's entries."""
    rows = Escalation.objects.filter(bulletin=bulletin, level=Level.BULLETIN).select_related(
        "finding", "task", "period")
    return {row.item_label: row.message for row in rows}


def expected(found) -> dict[str, str]:
    notice, overdue, late = found["notice"], found["overdue"], found["late_closed"]
    return {
        f"督查问题 {notice.number}": "逾期未办结，已下发督办单 西咸营商督〔2025〕1号；整改逾期（截止 2025-10-13），月末仍未提交",
        f"督查问题 {overdue.number}": "整改逾期（截止 2025-10-24），月末仍未提交",
        f"督查问题 {late.number}": "整改逾期（截止 2025-10-14），月末仍未提交",
        "2025年9月进展填报 1.1": "累计被退回 2 次",
    }


def test_the_month_lists_notices_owed_findings_and_repeated_returns(october, office, lead_user):
    found, _ = october
    with frozen(d("2025-11-10"), hour=9):
        bulletin = bulletin_compile(year=2025, month=10, user=office)
    assert (str(bulletin), bulletin.compiled_by) == ("2025年10月通报", office)
    assert entries(bulletin) == expected(found)
    # The unit is told of each entry, once.
    bulletin_titles = Notification.objects.filter(recipient=lead_user, title__startswith="【通报】")
    assert bulletin_titles.count() == 4
    assert bulletin_titles.filter(title=f"【通报】2025年10月通报：督查问题 {found['notice'].number}").exists()


def test_compiling_again_adds_nothing(october, office):
    with frozen(d("2025-11-10"), hour=9):
        first = bulletin_compile(year=2025, month=10, user=office)
    count = Escalation.objects.filter(level=Level.BULLETIN).count()
    with frozen(d("2025-11-11"), hour=9):
        again = bulletin_compile(year=2025, month=10, user=office)
    assert again.pk == first.pk and Bulletin.objects.filter(year=2025, month=10).count() == 1
    assert Escalation.objects.filter(level=Level.BULLETIN).count() == count == 4
    assert again.compiled_at.date() == d("2025-11-11")


def test_the_threshold_of_returns_is_a_setting(october, office, settings):
    settings.BULLETIN_RETURNS = 3
    with frozen(d("2025-11-10"), hour=9):
        bulletin = bulletin_compile(year=2025, month=10, user=office)
    assert "2025年9月进展填报 1.1" not in entries(bulletin)
    assert len(entries(bulletin)) == 3


def test_the_first_working_day_of_the_month_compiles_last_months_bulletin_once(october):
    found, _ = october
    # 1–2 November 2025 is a weekend: the scan does nothing; Monday 3 November compiles.
    with frozen(d("2025-11-01"), hour=8):
        assert deadline_scan().skipped
    assert not Bulletin.objects.filter(month=10).exists()
    with frozen(d("2025-11-03"), hour=8):
        result = deadline_scan()
    bulletin = Bulletin.objects.get(year=2025, month=10)
    assert result.bulletin == bulletin and "已汇总2025年10月通报" in str(result)
    assert (bulletin.compiled_by, entries(bulletin)) == (None, expected(found))
    compiled_at = bulletin.compiled_at
    with frozen(d("2025-11-04"), hour=8):
        result = deadline_scan()
    assert result.bulletin is None
    bulletin.refresh_from_db()
    assert bulletin.compiled_at == compiled_at and len(entries(bulletin)) == 4


def test_an_empty_month_has_an_empty_bulletin(office):
    with frozen(d("2025-11-10"), hour=9):
        bulletin = bulletin_compile(year=2025, month=10, user=office)
    assert entries(bulletin) == {}


@pytest.mark.parametrize("persona", ["inspector", "leader", "lead_user"], indirect=True)
def test_only_the_office_compiles_by_hand(persona):
    with frozen(d("2025-11-10")), pytest.raises(PermissionDenied):
        bulletin_compile(year=2025, month=10, user=persona)
    assert not Bulletin.objects.exists()


@pytest.mark.parametrize(("year", "month", "message"), [(2025, 13, "月份应为"), (2025, 0, "月份应为"),
                                                        (2025, 12, "尚未开始")])
def test_a_month_must_exist_and_have_begun(office, year, month, message):
    with frozen(d("2025-11-10")), pytest.raises(SupervisionError, match=message):
        bulletin_compile(year=year, month=month, user=office)
