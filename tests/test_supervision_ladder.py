"""The escalation ladder (提醒 → 催办 → 督办单) with frozen days: each step fires on the right
working day and once; a day off does nothing; an extension moves the ladder; submission and
close-out stop it. Findings, monthly progress reports and annual work plans alike.

Defaults: 提醒 3 working days before the due date, 督办单 at 5 working days overdue with a new
deadline 5 working days on. The calendar of October 2025 is in tests/supervision_data.py.
"""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.http import Http404

from supervision.choices import Channel, ItemKind, Level
from supervision.models import Bulletin, Escalation
from supervision.services import (
    SupervisionError,
    bulletin_compile,
    deadline_scan,
    escalation_reply,
    escalation_send,
    extension_decide,
    extension_request,
    finding_rectification_save,
    finding_submit,
    finding_verify,
)
from supervision.services.ladder import (
    Calendar,
    item_for_annual_plan,
    item_for_finding,
    item_for_report,
    steps_due,
)
from tasks.choices import ReviewAction
from tasks.models import Notification
from tasks.services import plan_end_move
from tasks.services.dispatch import (
    ReportInput,
    filing_review,
    filing_submit,
    period_open,
    report_save,
)
from tests.supervision_data import (
    LEAD_UNIT,
    OCTOBER_2025_OFF,
    OTHER_UNIT,
    STAFFLESS_UNIT,
    d,
    frozen,
    make_finding,
    make_round,
    off,
    scan_days,
    small_plan,
    staff,
    steps,
    unit,
)

pytestmark = pytest.mark.django_db

REMINDER, URGE, NOTICE = Level.REMINDER.value, Level.URGE.value, Level.NOTICE.value


@pytest.fixture(autouse=True)
def _mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def finding(inspector, lead_user):
    """Logged Monday 29 September 2025 with five working days: due Monday 13 October."""
    return make_finding(inspector, make_round(inspector), found_on=d("2025-09-29"))


def in_october(expected: dict) -> dict:
    """``expected`` plus the days off between 30 September and the last day expected."""
    last = max(expected)
    return {**{day: v for day, v in off(*OCTOBER_2025_OFF).items() if day <= last}, **expected}


def titles(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).order_by("pk").values_list("title", flat=True))


# --- findings --------------------------------------------------------------------------------


def test_each_step_fires_on_its_working_day_once(finding):
    # 30 September: 4 working days left (9, 10, 11, 13 October) — one too many for 提醒.
    # 9 October: 3 left → 提醒. 13 October: due → 催办. 14–17 and 20 October are overdue days
    # 1–5: 督办单 on the fifth. National Day and weekends do nothing at all.
    assert scan_days("2025-09-30", "2025-10-24") == in_october({
        d("2025-10-09"): {REMINDER: 1}, d("2025-10-13"): {URGE: 1}, d("2025-10-20"): {NOTICE: 1},
    })
    assert steps(finding=finding) == [(REMINDER, d("2025-10-13")), (URGE, d("2025-10-13")), (NOTICE, d("2025-10-13"))]


def test_the_steps_say_what_they_are(finding, lead_user):
    scan_days("2025-10-09", "2025-10-20")
    reminder, urge, notice = Escalation.objects.filter(finding=finding).order_by("created_at")
    assert (reminder.item_kind, reminder.unit.name, reminder.overdue_days, reminder.is_manual) == (
        ItemKind.FINDING, LEAD_UNIT, 0, False)
    assert (urge.overdue_days, notice.overdue_days) == (0, 5)
    # 21, 22, 23, 24, 27 October: five working days to settle it.
    assert (notice.notice_year, notice.notice_number, notice.new_due_date) == (2025, 1, d("2025-10-27"))
    assert notice.notice_code == "西咸营商督〔2025〕1号"
    assert "已逾期 5 个工作日" in notice.required_action and "2025-10-27" in notice.required_action
    assert titles(lead_user)[1:] == [
        f"【提醒】督查问题 {finding.number}将于 2025-10-13 到期（还有 3 个工作日）",
        f"【催办】督查问题 {finding.number}今天到期，请尽快办理",
        f"【督办单】西咸营商督〔2025〕1号：督查问题 {finding.number}，请于 2025-10-27 前办结",
    ]
    assert {e.pk: list(e.recipients.all()) for e in (reminder, urge, notice)} == {
        e.pk: [lead_user] for e in (reminder, urge, notice)}


def test_notices_are_numbered_in_the_scans_year(inspector, lead_user):
    round_ = make_round(inspector)
    first, second = (make_finding(inspector, round_, found_on=d("2025-09-29")) for _ in range(2))
    with frozen(d("2025-10-20"), hour=8):
        deadline_scan()
    codes = sorted(e.notice_code for e in Escalation.objects.filter(level=NOTICE))
    assert codes == ["西咸营商督〔2025〕1号", "西咸营商督〔2025〕2号"]
    # A scan run for a past day (the command's --date) numbers in that day's year too.
    third = make_finding(inspector, round_, found_on=d("2025-12-01"))
    result = deadline_scan(today=d("2025-12-15"))
    assert result.recorded[NOTICE] == 1
    assert Escalation.objects.get(finding=third, level=NOTICE).notice_code == "西咸营商督〔2025〕3号"
    assert {first.pk, second.pk} < set(Escalation.objects.filter(level=NOTICE).values_list("finding", flat=True))


def test_a_scan_run_twice_on_a_day_records_nothing_new(finding, lead_user):
    with frozen(d("2025-10-20"), hour=8):
        first = deadline_scan()
        again = deadline_scan()
    # Never scanned before: 催办 and 督办单 both fall due that morning.
    assert dict(first.recorded) == {URGE: 1, NOTICE: 1}
    assert not again.recorded and str(again) == "无新增督办；补发 0 条"
    assert Escalation.objects.filter(finding=finding).count() == 2
    assert len(titles(lead_user)) == 3  # the finding, 催办, 督办单


@pytest.mark.parametrize("day", ["2025-10-12", "2025-10-03", "2025-10-04"])
def test_a_day_off_does_nothing_at_all(finding, day):
    """A Sunday, a day of 国庆 and a Saturday in it: nothing — not even last month's 通报."""
    with frozen(d(day), hour=8):
        result = deadline_scan()
    assert result.skipped and str(result) == "非工作日，不扫描"
    assert not Escalation.objects.exists()
    assert not Bulletin.objects.exists()


def test_an_extension_moves_the_ladder(finding, lead_user, office):
    scan_days("2025-10-09", "2025-10-13")
    with frozen(d("2025-10-13"), hour=10):
        extension = extension_request(user=lead_user, finding=finding, requested_due_date=d("2025-10-24"),
                                      reason="需协调供电公司")
        extension_decide(user=office, extension=extension, grant=True)
    # The old due date's 督办单 (20 October) never comes; the new one gets its own 提醒 three
    # working days before (21 October: 22, 23, 24 left) and its own 催办.
    assert scan_days("2025-10-14", "2025-10-24") == {
        **off("2025-10-18", "2025-10-19"), d("2025-10-21"): {REMINDER: 1}, d("2025-10-24"): {URGE: 1}}
    assert steps(finding=finding) == [(REMINDER, d("2025-10-13")), (URGE, d("2025-10-13")),
                                      (REMINDER, d("2025-10-24")), (URGE, d("2025-10-24"))]


def test_submission_and_close_out_stop_the_ladder_and_a_rejection_restarts_it(finding, lead_user, inspector):
    scan_days("2025-10-09", "2025-10-09")
    with frozen(d("2025-10-10"), hour=10):
        finding_rectification_save(user=lead_user, finding=finding, measures="建立清单", result="已公示")
        finding_submit(user=lead_user, finding=finding)
    assert scan_days("2025-10-10", "2025-10-24") == off("2025-10-12", "2025-10-18", "2025-10-19")
    with frozen(d("2025-10-24"), hour=11):
        finding_verify(user=inspector, finding=finding, close=False, comment="公示不全")
    # Back with the unit and ten working days overdue: 催办 and 督办单 the next working day.
    assert scan_days("2025-10-25", "2025-10-27") == {**off("2025-10-25", "2025-10-26"),
                                                     d("2025-10-27"): {URGE: 1, NOTICE: 1}}
    with frozen(d("2025-10-27"), hour=15):
        finding_submit(user=lead_user, finding=finding)
        finding_verify(user=inspector, finding=finding, close=True)
    assert scan_days("2025-10-28", "2025-11-14") == off("2025-11-01", "2025-11-02", "2025-11-08", "2025-11-09")
    # Closed, it draws nothing more — but October's 通报 (compiled on 3 November, the first
    # working day) still lists the 督办单 it drew in October.
    assert [level for level, _ in steps(finding=finding)] == [REMINDER, URGE, NOTICE, Level.BULLETIN]


def test_a_unit_without_staff_gets_the_step_on_record(inspector):
    finding = make_finding(inspector, make_round(inspector), found_on=d("2025-09-29"), unit_name=STAFFLESS_UNIT)
    with frozen(d("2025-10-13"), hour=8):
        assert deadline_scan().recorded == {URGE: 1}
    urge = Escalation.objects.get(finding=finding)
    assert (list(urge.recipients.all()), urge.channels) == ([], "")
    assert not Notification.objects.filter(title__startswith="【催办】").exists()


# --- delivery --------------------------------------------------------------------------------


def test_one_message_per_recipient_and_e_mail_only_after_commit(finding, lead_user, django_capture_on_commit_callbacks):
    lead_user.email = "lead@xixian.example"
    lead_user.save(update_fields=["email"])
    quiet = staff(LEAD_UNIT, email="quiet@xixian.example", email_notifications=False)
    no_address = staff(LEAD_UNIT)
    with frozen(d("2025-10-13"), hour=8), django_capture_on_commit_callbacks() as callbacks:
        deadline_scan()
        assert mail.outbox == []  # nothing leaves before the commit
    urge = Escalation.objects.get(finding=finding)
    assert set(urge.recipients.all()) == {lead_user, quiet, no_address}
    assert urge.channels == f"{Channel.INBOX},{Channel.EMAIL}"
    notes = Notification.objects.filter(key=f"escalation:{urge.pk}")
    assert sorted(notes.values_list("recipient", flat=True)) == sorted([lead_user.pk, quiet.pk, no_address.pk])
    with frozen(d("2025-10-13"), hour=8):
        for callback in callbacks:
            callback()
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["lead@xixian.example"], f"【催办】督查问题 {finding.number}今天到期，请尽快办理")]
    # The scan of the next day re-queues nothing already sent, and sends nothing twice.
    with frozen(d("2025-10-14"), hour=8), django_capture_on_commit_callbacks(execute=True):
        deadline_scan()
    assert len(mail.outbox) == 1 and notes.count() == 3


def test_an_e_mail_that_could_not_be_queued_is_sent_by_the_next_scan(finding, lead_user, django_capture_on_commit_callbacks):
    lead_user.email = "lead@xixian.example"
    lead_user.save(update_fields=["email"])
    with frozen(d("2025-10-13"), hour=8), django_capture_on_commit_callbacks(execute=False):
        deadline_scan()  # the broker was down: its callbacks are dropped
    with frozen(d("2025-10-14"), hour=8), django_capture_on_commit_callbacks(execute=True):
        result = deadline_scan()
    assert result.requeued == 1 and str(result) == "无新增督办；补发 1 条"
    assert [m.to for m in mail.outbox] == [["lead@xixian.example"]]


# --- monthly progress reports and annual work plans ------------------------------------------


@pytest.fixture
def september_2025(lead_user):
    """The September 2025 report of the small plan's task, due on the fifth working day of
    October: 9, 10, 11, 13, 14 October."""
    task = small_plan()[0]
    period = period_open(year=2025, month=9)
    assert period.due_date == d("2025-10-14")
    return task, period


def test_a_monthly_report_is_chased_like_a_finding(september_2025, lead_user):
    task, period = september_2025
    assert scan_days("2025-10-09", "2025-10-24") == {
        **off("2025-10-12", "2025-10-18", "2025-10-19"),
        d("2025-10-10"): {REMINDER: 1}, d("2025-10-14"): {URGE: 1}, d("2025-10-21"): {NOTICE: 1}}
    assert steps(task=task, period=period) == [(REMINDER, d("2025-10-14")), (URGE, d("2025-10-14")),
                                               (NOTICE, d("2025-10-14"))]
    assert titles(lead_user)[0] == "【提醒】2025年9月进展填报（1.1）将于 2025-10-14 到期（还有 3 个工作日）"


def test_a_submitted_report_stops_its_ladder(september_2025, lead_user, office):
    task, period = september_2025
    scan_days("2025-10-10", "2025-10-10")
    with frozen(d("2025-10-13"), hour=10):
        report = report_save(user=lead_user, task=task, period=period,
                             data=ReportInput(completed="完成审批流程再造。", next_plan="推行告知承诺制。", progress=60))
        filing_submit(user=lead_user, filing=report)
    assert scan_days("2025-10-13", "2025-10-24") == off("2025-10-18", "2025-10-19")
    # Returned for revision, it is owed again — and already late: 催办 the next morning.
    with frozen(d("2025-10-24"), hour=11):
        filing_review(user=office, filing=report, action=ReviewAction.RETURN, comment="请补充量化数据。")
    assert scan_days("2025-10-27", "2025-10-27") == {d("2025-10-27"): {URGE: 1, NOTICE: 1}}


def test_an_annual_work_plan_due_on_a_saturday(lead_user):
    """Due 31 January 2026, a Saturday: 提醒 on Tuesday 27 January (28, 29, 30 left — the due
    date itself is no working day), 催办 on Monday 2 February, 督办单 on 6 February."""
    task = small_plan()[0]
    assert scan_days("2026-01-23", "2026-02-10") == {
        **off("2026-01-24", "2026-01-25", "2026-01-31", "2026-02-01", "2026-02-07", "2026-02-08"),
        d("2026-01-27"): {REMINDER: 1}, d("2026-02-02"): {URGE: 1}, d("2026-02-06"): {NOTICE: 1}}
    assert steps(task=task, year=2026) == [(REMINDER, d("2026-01-31")), (URGE, d("2026-01-31")),
                                           (NOTICE, d("2026-01-31"))]
    notice = Escalation.objects.get(level=NOTICE)
    assert (notice.item_kind, notice.notice_code, notice.overdue_days) == (
        ItemKind.ANNUAL_PLAN, "西咸营商督〔2026〕1号", 5)


def test_steps_due_counts_working_days(september_2025):
    task, period = september_2025
    item = item_for_report(task=task, unit_id=task.assignments.get().unit_id, period=period)
    calendar = Calendar(d("2025-09-01"), d("2025-11-30"))
    assert steps_due(item, today=d("2025-10-09"), calendar=calendar) == []
    assert steps_due(item, today=d("2025-10-10"), calendar=calendar) == [(REMINDER, -3)]
    assert steps_due(item, today=d("2025-10-13"), calendar=calendar) == [(REMINDER, -1)]
    assert steps_due(item, today=d("2025-10-14"), calendar=calendar) == [(URGE, 0)]
    assert steps_due(item, today=d("2025-10-20"), calendar=calendar) == [(URGE, 4)]
    assert steps_due(item, today=d("2025-10-21"), calendar=calendar) == [(URGE, 5), (NOTICE, 5)]


# --- by hand ---------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["inspector", "leader", "lead_user"], indirect=True)
def test_only_the_office_urges_by_hand(persona, finding):
    with pytest.raises(PermissionDenied):
        escalation_send(user=persona, item=item_for_finding(finding), level=URGE, message="请加快整改")
    assert not Escalation.objects.exists()


def test_office_urges_and_issues_notices_by_hand(finding, office, lead_user):
    item = item_for_finding(finding)
    with frozen(d("2025-10-09"), hour=15):
        for level in (Level.REMINDER, Level.BULLETIN):
            with pytest.raises(SupervisionError, match="只能人工发起"):
                escalation_send(user=office, item=item, level=level, message="x")
        with pytest.raises(SupervisionError) as caught:
            escalation_send(user=office, item=item, level=URGE, message=" ")
        assert list(caught.value.fields) == ["message"]
        with pytest.raises(SupervisionError) as caught:
            escalation_send(user=office, item=item, level=NOTICE, message="整改进度滞后", new_due_date=d("2025-10-09"))
        assert set(caught.value.fields) == {"required_action", "new_due_date"}
        first = escalation_send(user=office, item=item, level=URGE, message="请加快整改进度。")
        second = escalation_send(user=office, item=item, level=URGE, message="再次催办。")
        notice = escalation_send(user=office, item=item, level=NOTICE, message="整改进度滞后",
                                 required_action="限期完成整改并书面报告。", new_due_date=d("2025-10-17"))
    assert (first.is_manual, first.created_by, first.message, first.overdue_days) == (True, office, "请加快整改进度。", 0)
    assert first.key != second.key
    assert (notice.notice_code, notice.new_due_date, notice.required_action) == (
        "西咸营商督〔2025〕1号", d("2025-10-17"), "限期完成整改并书面报告。")
    assert titles(lead_user)[-1] == f"【督办单】西咸营商督〔2025〕1号：督查问题 {finding.number}，请于 2025-10-17 前办结"
    # Steps by hand do not take the place of the automatic ones.
    assert scan_days("2025-10-13", "2025-10-13") == {d("2025-10-13"): {URGE: 1}}


def test_nothing_to_chase_by_hand_once_the_unit_has_delivered(finding, september_2025, office, lead_user, inspector):
    """A finding handed in or closed, a report submitted, a unit that files no such report, a
    year outside the plan: refused with the reason, nothing recorded."""
    task, period = september_2025
    with frozen(d("2025-10-09"), hour=15):
        finding_rectification_save(user=lead_user, finding=finding, measures="已整改", result="到位")
        finding_submit(user=lead_user, finding=finding)
        report = report_save(user=lead_user, task=task, period=period,
                             data=ReportInput(completed="完成。", next_plan="继续。", progress=60))
        filing_submit(user=lead_user, filing=report)
        refusals = {
            "finding": (item_for_finding(finding), "「待核验」，无需督办"),
            "report": (item_for_report(task=task, unit_id=report.unit_id, period=period), "已提交这项填报"),
            "other unit": (item_for_report(task=task, unit_id=unit(OTHER_UNIT).pk, period=period), "不是此任务的牵头单位"),
            "year": (item_for_annual_plan(task=task, unit_id=report.unit_id, year=2030), "2030年不在任务所属行动方案的执行期内"),
        }
        for item, reason in refusals.values():
            with pytest.raises(SupervisionError, match=reason):
                escalation_send(user=office, item=item, level=URGE, message="请加快。")
    assert not Escalation.objects.exists()


def test_nothing_to_chase_for_a_month_the_plan_no_longer_owes(september_2025, office, lead_user):
    """A plan closed early owes no report of the months after its end, though they fall in its
    years: the month is refused by name, nothing recorded."""
    task, period = september_2025
    with frozen(d("2025-10-09"), hour=15):
        plan_end_move(user=office, plan=task.plan, ends_on=d("2025-08-31"), reason="提前结束")
        item = item_for_report(task=task, unit_id=unit(LEAD_UNIT).pk, period=period)
        with pytest.raises(SupervisionError, match="2025年9月不在任务所属行动方案的执行期内"):
            escalation_send(user=office, item=item, level=URGE, message="请加快。")
    assert not Escalation.objects.exists()


@pytest.fixture
def urge(finding, office):
    with frozen(d("2025-10-09"), hour=15):
        return escalation_send(user=office, item=item_for_finding(finding), level=URGE, message="请加快整改进度。")


@pytest.mark.parametrize(("persona", "refusal"), [
    ("office", PermissionDenied), ("inspector", PermissionDenied), ("leader", PermissionDenied),
    ("supporting_user", Http404), ("outsider", Http404),
], indirect=["persona"])
def test_only_the_unit_replies(persona, refusal, urge):
    with pytest.raises(refusal):
        escalation_reply(user=persona, escalation=urge, text="已整改")
    assert Escalation.objects.get(pk=urge.pk).replied_at is None


def test_the_unit_replies_once(urge, lead_user, office):
    with pytest.raises(SupervisionError) as caught:
        escalation_reply(user=lead_user, escalation=urge, text="  ")
    assert list(caught.value.fields) == ["reply"]
    escalation_reply(user=lead_user, escalation=urge, text="已制定整改方案，10月13日前完成。")
    urge.refresh_from_db()
    assert (urge.reply, urge.replied_by, urge.awaits_reply) == ("已制定整改方案，10月13日前完成。", lead_user, False)
    assert titles(office) == ["行政审批局回复了催办"]
    with pytest.raises(SupervisionError, match="已回复过"):
        escalation_reply(user=lead_user, escalation=urge, text="补充说明")


def test_reminders_and_bulletins_take_no_reply(finding, lead_user):
    scan_days("2025-10-09", "2025-10-09")
    with frozen(d("2025-11-10")):
        bulletin_compile(year=2025, month=10)  # the finding was still owed on 31 October
    for level in (REMINDER, Level.BULLETIN):
        step = Escalation.objects.get(level=level)
        with pytest.raises(SupervisionError, match="不需要回复"):
            escalation_reply(user=lead_user, escalation=step, text="收到")
        assert Escalation.objects.get(pk=step.pk).replied_at is None


def test_an_ended_plan_leaves_the_scan_and_the_overdue_board_at_its_final_moment(plan, office):
    """December 2022's returns fell due on Monday 9 January 2023: until then they are chased and
    on the overdue board; from the plan's final day (10 January) its figures are frozen and
    nothing of it is chased any more."""
    from supervision.selectors import overdue_board
    from supervision.services.ladder import plans_frozen, report_items
    from tasks.services.dispatch import period_open

    december = period_open(year=2022, month=12)
    assert december.due_date == dt.date(2023, 1, 9) and plan.final_day == dt.date(2023, 1, 10)
    before = report_items(since=dt.date(2023, 1, 1), until=dt.date(2023, 1, 9), frozen=plans_frozen(dt.date(2023, 1, 9)))
    assert before and {item.period_id for item in before} == {december.pk}
    assert plans_frozen(dt.date(2023, 1, 10)) == [plan.pk]
    assert report_items(since=dt.date(2023, 1, 1), until=dt.date(2023, 1, 12), frozen=[plan.pk]) == []
    assert overdue_board(user=office, today=dt.date(2023, 1, 9)) == []  # due that day: not yet overdue
    assert not [row for row in overdue_board(user=office, today=dt.date(2023, 1, 12)) if row.item.period_id]


def test_nothing_of_a_frozen_plan_is_chased_by_hand(september_2025, office):
    """Once a plan's last returns fell due, its figures are frozen: a report it owed is no longer
    chased, even by hand, and the reason says the plan has ended."""
    task, period = september_2025
    item = item_for_report(task=task, unit_id=unit(LEAD_UNIT).pk, period=period)
    with frozen(d("2025-10-09"), hour=15):
        plan_end_move(user=office, plan=task.plan, ends_on=d("2025-09-30"), reason="提前结束")
    with frozen(d("2025-10-20"), hour=15), pytest.raises(SupervisionError, match="方案已于2025年9月30日结束，其填报已不再督办"):
        escalation_send(user=office, item=item, level=URGE, message="请加快。")
    assert not Escalation.objects.exists()
