"""What a progress report holds: the draft keeps what was typed, indicator actuals follow the
task's indicators for the period's year, and every change is in the history with its user.

Task 7.3 「全面推开“三服四化”改革」 (lead: 新区行政审批与政务服务局, among others) has one
indicator for the whole plan period (community-service-circle) and one for 2020 only
(three-services-coverage-2020).
"""

from decimal import Decimal

import pytest

from tasks.models import Indicator, IndicatorActual, ProgressReport, Task
from tasks.services.dispatch import (
    DispatchError,
    ReportInput,
    contribution_save,
    filing_discard,
    period_open,
    report_indicators,
    report_save,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def task_7_3(plan) -> Task:
    return Task.objects.get(plan=plan, code="7.3")


@pytest.fixture
def period():
    return period_open(year=2020, month=10)


def indicator(key: str) -> Indicator:
    return Indicator.objects.get(key=key)


def actuals_of(report) -> dict[str, Decimal]:
    return dict(IndicatorActual.objects.filter(report=report).values_list("indicator__key", "value"))


# --- the draft keeps what was typed -------------------------------------------------------------


def test_draft_keeps_partial_input(lead_user, task_1_1, period):
    report = report_save(user=lead_user, task=task_1_1, period=period, data=ReportInput(completed=" 已梳理审批清单。\n"))
    stored = ProgressReport.objects.get(pk=report.pk)
    assert (stored.completed, stored.problems, stored.next_plan, stored.progress) == ("已梳理审批清单。", "", "", None)
    assert (stored.unit.name, stored.created_by, stored.status) == ("新区行政审批与政务服务局", lead_user, "draft")


def test_saving_again_updates_the_same_draft(lead_user, task_1_1, period):
    first = report_save(user=lead_user, task=task_1_1, period=period, data=ReportInput(completed="一", progress=10))
    data = ReportInput(completed="二", problems="人手不足", next_plan="三", progress=20)
    second = report_save(user=lead_user, task=task_1_1, period=period, data=data)
    assert second.pk == first.pk and ProgressReport.objects.count() == 1
    stored = ProgressReport.objects.get(pk=first.pk)
    assert (stored.completed, stored.problems, stored.next_plan, stored.progress) == ("二", "人手不足", "三", 20)


def test_each_period_has_its_own_report(lead_user, task_1_1, period):
    november = period_open(year=2020, month=11)
    october_report = report_save(user=lead_user, task=task_1_1, period=period, data=ReportInput(completed="十月"))
    november_report = report_save(user=lead_user, task=task_1_1, period=november, data=ReportInput(completed="十一月"))
    assert october_report.pk != november_report.pk
    assert {r.period.month: r.completed for r in ProgressReport.objects.all()} == {10: "十月", 11: "十一月"}


def test_report_history_names_the_user_from_the_first_row(lead_user, task_1_1, period):
    from tests.factories import UserFactory

    colleague = UserFactory.in_unit("新区行政审批与政务服务局")
    report = report_save(user=lead_user, task=task_1_1, period=period, data=ReportInput(completed="一"))
    report_save(user=colleague, task=task_1_1, period=period, data=ReportInput(completed="二"))
    rows = list(report.history.order_by("history_id"))
    assert [(r.history_type, r.completed, r.history_user) for r in rows] == [
        ("+", "一", lead_user), ("~", "二", colleague),
    ]


def test_contribution_history_names_the_user(supporting_user, task_1_1, period):
    contribution = contribution_save(user=supporting_user, task=task_1_1, period=period, text="配合。")
    contribution_save(user=supporting_user, task=task_1_1, period=period, text="配合完成。")
    assert [(r.history_type, r.text, r.history_user) for r in contribution.history.order_by("history_id")] == [
        ("+", "配合。", supporting_user), ("~", "配合完成。", supporting_user),
    ]


# --- indicator actuals ------------------------------------------------------------------------------


def test_report_indicators_are_the_years_and_the_whole_periods(task_7_3):
    assert [i.key for i in report_indicators(task=task_7_3, year=2020)] == [
        "community-service-circle", "three-services-coverage-2020",
    ]
    assert [i.key for i in report_indicators(task=task_7_3, year=2021)] == ["community-service-circle"]


def test_actuals_are_saved_for_the_tasks_indicators(lead_user, task_7_3, period):
    circle, coverage = indicator("community-service-circle"), indicator("three-services-coverage-2020")
    report = report_save(
        user=lead_user, task=task_7_3, period=period, data=ReportInput(completed="推进中"),
        actuals={circle.pk: Decimal("15"), coverage.pk: Decimal("87.5")},
    )
    assert actuals_of(report) == {"community-service-circle": Decimal("15"), "three-services-coverage-2020": Decimal("87.5")}


def test_an_indicator_of_another_year_is_refused(lead_user, task_7_3):
    period_2021 = period_open(year=2021, month=3)
    coverage_2020 = indicator("three-services-coverage-2020")
    with pytest.raises(DispatchError, match="指标不属于该任务或该年度"):
        report_save(user=lead_user, task=task_7_3, period=period_2021, data=ReportInput(completed="推进中"),
                    actuals={coverage_2020.pk: Decimal("90")})
    # The whole transaction rolled back: not even the report's text was kept.
    assert not ProgressReport.objects.exists() and not IndicatorActual.objects.exists()
    circle = indicator("community-service-circle")
    report = report_save(user=lead_user, task=task_7_3, period=period_2021, data=ReportInput(completed="推进中"),
                         actuals={circle.pk: Decimal("14")})
    assert actuals_of(report) == {"community-service-circle": Decimal("14")}


def test_an_indicator_of_another_task_or_the_plan_is_refused(lead_user, task_7_3, period):
    water = indicator("water-connection-days")  # task 2.2
    goal = indicator("goal-one-network-2020")  # a plan-wide target, no task
    for other in (water, goal):
        with pytest.raises(DispatchError):
            report_save(user=lead_user, task=task_7_3, period=period, data=ReportInput(), actuals={other.pk: Decimal(1)})
    assert not IndicatorActual.objects.exists()


def test_a_refused_indicator_leaves_an_existing_draft_as_it_was(lead_user, task_7_3, period):
    circle = indicator("community-service-circle")
    report = report_save(user=lead_user, task=task_7_3, period=period, data=ReportInput(completed="旧"),
                         actuals={circle.pk: Decimal("15")})
    with pytest.raises(DispatchError):
        report_save(user=lead_user, task=task_7_3, period=period, data=ReportInput(completed="新"),
                    actuals={circle.pk: Decimal("12"), indicator("water-connection-days").pk: Decimal(3)})
    assert ProgressReport.objects.get(pk=report.pk).completed == "旧"
    assert actuals_of(report) == {"community-service-circle": Decimal("15")}


def test_actuals_are_updated_kept_and_deleted(lead_user, task_7_3, period):
    circle, coverage = indicator("community-service-circle"), indicator("three-services-coverage-2020")
    def save(actuals):
        return report_save(user=lead_user, task=task_7_3, period=period, data=ReportInput(completed="推进中"),
                           actuals=actuals)

    report = save({circle.pk: Decimal("15"), coverage.pk: Decimal("80")})
    save({circle.pk: Decimal("13")})  # coverage not sent: kept
    assert actuals_of(report) == {"community-service-circle": Decimal("13"), "three-services-coverage-2020": Decimal("80")}
    save({coverage.pk: None})  # cleared: deleted
    assert actuals_of(report) == {"community-service-circle": Decimal("13")}
    save({coverage.pk: None})  # clearing what is not there does nothing
    save(None)
    assert actuals_of(report) == {"community-service-circle": Decimal("13")}


def test_actual_history_has_the_user_and_old_values(lead_user, task_7_3, period):
    circle = indicator("community-service-circle")
    def save(value):
        report_save(user=lead_user, task=task_7_3, period=period, data=ReportInput(completed="推进中"),
                    actuals={circle.pk: value})

    save(Decimal("15"))
    save(Decimal("15.00"))  # the same value: no new history row
    save(Decimal("13"))
    save(None)
    rows = IndicatorActual.history.filter(indicator=circle).order_by("history_id")
    assert [(r.history_type, r.value, r.history_user) for r in rows] == [
        ("+", Decimal("15"), lead_user), ("~", Decimal("13"), lead_user), ("-", Decimal("13"), lead_user),
    ]


def test_discarding_a_draft_records_who_deleted_its_actuals(lead_user, task_7_3, period):
    circle = indicator("community-service-circle")
    report = report_save(user=lead_user, task=task_7_3, period=period, data=ReportInput(),
                         actuals={circle.pk: Decimal("15")})
    filing_discard(user=lead_user, filing=report)
    assert not IndicatorActual.objects.exists()
    deleted = IndicatorActual.history.get(history_type="-")
    assert deleted.history_user == lead_user and deleted.report_id == report.pk


def test_two_colleagues_creating_the_same_report_at_once(lead_user, task_1_1, period, monkeypatch):
    from tasks.services import dispatch

    report_save(user=lead_user, task=task_1_1, period=period, data=ReportInput(completed="先保存的"))

    # The second one looked before the first one's row was committed: it found nothing.
    def found_nothing(model, *, user, defaults=None, **lookup):
        return model(**lookup, **(defaults or {}), created_by=user)

    monkeypatch.setattr(dispatch, "_filing_for_update", found_nothing)
    with pytest.raises(DispatchError, match="刚刚由他人创建"):
        report_save(user=lead_user, task=task_1_1, period=period, data=ReportInput(completed="后保存的"))
    assert list(ProgressReport.objects.values_list("completed", flat=True)) == ["先保存的"]
