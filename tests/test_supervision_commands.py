"""Each supervision job is also a management command: it runs the same service and says what it
did, in Chinese."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from supervision.choices import Level
from supervision.models import Bulletin, Escalation, InspectionRound
from tasks.models import Notification
from tests.supervision_data import d, frozen, make_finding, make_round

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().strip()


@pytest.fixture
def finding(inspector, lead_user):
    """Due Monday 13 October 2025 (see tests/supervision_data.py)."""
    return make_finding(inspector, make_round(inspector), found_on=d("2025-09-29"))


# --- deadline_scan ---------------------------------------------------------------------------


def test_deadline_scan_for_a_day(finding):
    assert run("deadline_scan", "--date", "2025-10-09") == (
        "2025-10-09 督办扫描：提醒 1 条；已汇总2025年9月通报；补发 0 条")
    assert run("deadline_scan", "--date", "2025-10-20") == "2025-10-20 督办扫描：催办 1 条、督办单 1 条；补发 0 条"
    assert run("deadline_scan", "--date", "2025-10-20") == "2025-10-20 督办扫描：无新增督办；补发 0 条"
    assert Escalation.objects.filter(finding=finding).count() == 3
    assert Escalation.objects.get(level=Level.NOTICE).notice_code == "西咸营商督〔2025〕1号"


def test_deadline_scan_does_nothing_on_a_day_off(finding):
    assert run("deadline_scan", "--date", "2025-10-01") == "2025-10-01 督办扫描：非工作日，不扫描"
    assert not Escalation.objects.exists() and not Bulletin.objects.exists()


def test_deadline_scan_defaults_to_today(finding):
    with frozen(d("2025-10-13"), hour=8):
        assert run("deadline_scan") == "2025-10-13 督办扫描：催办 1 条；已汇总2025年9月通报；补发 0 条"


@pytest.mark.parametrize("value", ["2025-13-01", "2025/10/13", "明天"])
def test_deadline_scan_refuses_a_bad_date(value):
    with pytest.raises(CommandError, match="格式应为 YYYY-MM-DD"):
        run("deadline_scan", "--date", value)


# --- open_quarter_round ----------------------------------------------------------------------


def test_open_quarter_round_once(inspector):
    assert run("open_quarter_round", "--date", "2025-10-01") == (
        "2025年第4季度：已建立「2025年第4季度优化营商环境联合专项督查」，已通知 1 名督查室人员。")
    assert run("open_quarter_round", "--date", "2025-11-20") == (
        "2025年第4季度：已有督查轮次「2025年第4季度优化营商环境联合专项督查」，未重复建立。")
    assert InspectionRound.objects.count() == 1
    assert Notification.objects.filter(recipient=inspector).count() == 1


def test_open_quarter_round_defaults_to_today(inspector):
    with frozen(d("2026-04-01"), hour=8):
        assert run("open_quarter_round").startswith("2026年第2季度：已建立")


def test_open_quarter_round_refuses_a_bad_date():
    with pytest.raises(CommandError, match="「2026-04」不是有效日期"):
        run("open_quarter_round", "--date", "2026-04")


# --- compile_bulletin ------------------------------------------------------------------------


def test_compile_bulletin_lists_the_months_items(finding):
    with frozen(d("2025-10-20"), hour=8):
        run("deadline_scan")  # the finding's 督办单, in October
    with frozen(d("2025-11-10")):
        out = run("compile_bulletin", "2025", "10")
    assert out.splitlines() == [
        "2025年10月通报：1 个单位，1 项。",
        f"  行政审批局｜督查问题 {finding.number}｜逾期未办结，已下发督办单 西咸营商督〔2025〕1号；"
        "整改逾期（截止 2025-10-13），月末仍未提交",
    ]
    with frozen(d("2025-11-11")):
        assert run("compile_bulletin", "2025", "10").splitlines()[0] == "2025年10月通报：1 个单位，1 项。"
    assert Escalation.objects.filter(level=Level.BULLETIN).count() == 1
    assert Bulletin.objects.get(year=2025, month=10).compiled_by is None


def test_compile_bulletin_of_an_empty_month(db):
    assert run("compile_bulletin", "2025", "6") == "2025年6月通报：0 个单位，0 项。"


@pytest.mark.parametrize(("args", "message"), [
    (("2025", "13"), "月份应为 1 到 12"),
    (("2099", "1"), "不能汇总尚未开始的月份"),
    (("2025",), "the following arguments are required: month"),
    (("二〇二五", "1"), "invalid int value"),
])
def test_compile_bulletin_refuses_bad_months(db, args, message):
    with pytest.raises(CommandError, match=message):
        run("compile_bulletin", *args)
    assert not Bulletin.objects.exists()
