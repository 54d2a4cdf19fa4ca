import datetime

from django.core.management.base import BaseCommand, CommandError

from reports.choices import DispatchReportKind
from reports.services.dispatch_reports import (
    DispatchReportError,
    dispatch_report_build,
    dispatch_report_request,
    dispatch_report_schedule,
)


class Command(BaseCommand):
    help = ("生成调度报告（在本进程中生成，完成后通知营商办）：月调度报告 monthly 年 月；半年材料 half_year 年 1|2；"
            "年度总结报告 annual 年 0。加 --schedule 则执行每日定时检查（到期时排队生成上月报告）。")

    def add_arguments(self, parser):
        parser.add_argument("kind", nargs="?", choices=DispatchReportKind.values, help="报告类型")
        parser.add_argument("year", nargs="?", type=int, help="年度，如 2025")
        parser.add_argument("number", nargs="?", type=int, help="月份 1—12；半年 1 或 2；年度 0")
        parser.add_argument("--schedule", action="store_true", help="执行每日定时检查，而不是生成指定报告")
        parser.add_argument("--date", type=datetime.date.fromisoformat, help="定时检查按此日期（YYYY-MM-DD）")

    def handle(self, *args, kind, year, number, schedule, date, **options):
        if schedule:
            for line in dispatch_report_schedule(today=date):
                self.stdout.write(line)
            return
        if kind is None or year is None or number is None:
            raise CommandError("请指定报告类型、年度和期次，例如：build_dispatch_report monthly 2025 10")
        try:
            report, claimed = dispatch_report_request(kind=kind, year=year, number=number, user=None, queue=False)
        except DispatchReportError as exc:
            raise CommandError(str(exc)) from exc
        if not claimed:
            self.stdout.write(f"{report.title}正在生成，未重复启动。")
            return
        built = dispatch_report_build(report_id=report.pk)
        if built is None:
            report.refresh_from_db()
            raise CommandError(f"{report.title}未生成：{report.error or '已由其他进程生成'}")
        self.stdout.write(f"{built.title}已生成（第 {built.generation} 次）：{built.file.path}")
