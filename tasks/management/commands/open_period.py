from django.core.management.base import BaseCommand, CommandError

from tasks.services.dispatch import period_open, period_open_current


class Command(BaseCommand):
    help = "打开填报期：不带参数时确保本月填报期已打开（与每日后台任务相同）。"

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int)
        parser.add_argument("--month", type=int)

    def handle(self, *args, year, month, **options):
        if (year is None) != (month is None):
            raise CommandError("--year 与 --month 需要同时给出。")
        if month is not None and not 1 <= month <= 12:
            raise CommandError("月份应为 1 到 12。")
        period = period_open(year=year, month=month) if year else period_open_current()
        provisional = "（暂定，当年节假日尚未录入）" if period.due_provisional else ""
        self.stdout.write(f"{period.label}填报期：{period.get_status_display()}，截止 {period.due_date}{provisional}")
