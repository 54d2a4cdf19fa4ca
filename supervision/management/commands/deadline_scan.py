from django.core.management.base import BaseCommand
from django.utils import timezone

from supervision.management.commands._dates import iso_date
from supervision.services import deadline_scan


class Command(BaseCommand):
    help = ("每日督办扫描：到期前提醒、到期催办、逾期督办单，并在每月第一个工作日汇总上月通报"
            "（与每天上午的后台任务相同；非工作日不扫描）。")

    def add_arguments(self, parser):
        parser.add_argument("--date", type=iso_date, help="按哪一天扫描（YYYY-MM-DD），默认今天。")

    def handle(self, *args, date, **options):
        day = date or timezone.localdate()
        result = deadline_scan(today=day)
        self.stdout.write(f"{day:%Y-%m-%d} 督办扫描：{result}")
