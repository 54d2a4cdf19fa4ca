from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from reports.choices import DispatchReportStatus
from reports.dispatch_report import report_build_day
from reports.models import DispatchReport
from reports.services.dispatch_reports import (
    DispatchReportError,
    dispatch_report_build,
    dispatch_report_request,
    scheduled_reports,
)
from tasks.demo import demo_plan_get
from tasks.models import ActionPlan, ReportingPeriod
from tasks.plan_text import parse_plan, read_plan_file


class Command(BaseCommand):
    help = ("为内置方案和演示方案生成调度报告：每个已到生成日的月份的月调度报告，以及各年度的半年工作总结会材料"
            "和年度总结报告（已生成的跳过，可重复运行；先运行 seed_demo 和 seed_demo_present）。")

    def handle(self, *args, **options):
        title = parse_plan(read_plan_file(settings.SEED_PLAN_PATH)).title
        seed = ActionPlan.objects.filter(title=title).first()
        if seed is None:
            raise CommandError("尚未导入内置方案，请先运行 python manage.py seed_demo。")
        ready = set(DispatchReport.objects.filter(status=DispatchReportStatus.READY)
                    .values_list("kind", "year", "number"))
        built = 0
        for kind, year, number in self.wanted([seed, *filter(None, [demo_plan_get()])]):
            if (kind, year, number) in ready:
                continue
            try:
                report, claimed = dispatch_report_request(kind=kind, year=year, number=number, user=None, queue=False)
            except DispatchReportError as exc:
                self.stdout.write(f"跳过：{exc}")
                continue
            # The office's inbox would fill with dozens of 「已生成」: the seed builds quietly.
            if claimed and dispatch_report_build(report_id=report.pk, notify_office=False):
                built += 1
        self.stdout.write(f"调度报告：新生成 {built} 份，已有 {len(ready)} 份。")

    @staticmethod
    def wanted(plans: list[ActionPlan]) -> list[tuple[str, int, int]]:
        """The reports of every opened month of the plans whose build day has come, as the daily
        schedule would have built them (today's month and last month's before its day: not yet)."""
        today = timezone.localdate()
        periods = ReportingPeriod.objects.order_by("year", "month")
        return [key for period in periods
                if any(plan.owes(period.year, period.month) for plan in plans)
                and report_build_day(period=period) <= today
                for key in scheduled_reports(year=period.year, month=period.month)]
