from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from reports.choices import DispatchReportStatus
from reports.models import DispatchReport
from reports.services.dispatch_reports import (
    DispatchReportError,
    dispatch_report_build,
    dispatch_report_request,
    scheduled_reports,
)
from tasks.models import ActionPlan, ReportingPeriod
from tasks.plan_text import parse_plan, read_plan_file


class Command(BaseCommand):
    help = ("为演示方案生成调度报告：每个已打开月份的月调度报告，以及各年度的半年工作总结会材料和年度总结报告"
            "（已生成的跳过，可重复运行；先运行 seed_demo）。")

    def handle(self, *args, **options):
        title = parse_plan(read_plan_file(settings.SEED_PLAN_PATH)).title
        plan = ActionPlan.objects.filter(title=title).first()
        if plan is None:
            raise CommandError("尚未导入演示方案，请先运行 python manage.py seed_demo。")
        ready = set(DispatchReport.objects.filter(status=DispatchReportStatus.READY)
                    .values_list("kind", "year", "number"))
        months = ReportingPeriod.objects.filter(year__gte=plan.start_year, year__lte=plan.end_year)
        wanted = [key for year, month in months.order_by("year", "month").values_list("year", "month")
                  for key in scheduled_reports(year=year, month=month)]
        built = 0
        for kind, year, number in wanted:
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
