from django.core.management.base import BaseCommand
from django.utils import timezone

from supervision.management.commands._dates import iso_date
from supervision.services import round_open_quarter


class Command(BaseCommand):
    help = "建立本季度的优化营商环境联合专项督查轮次并通知督查室（与每季度第一天的后台任务相同；已有则不重复建立）。"

    def add_arguments(self, parser):
        parser.add_argument("--date", type=iso_date, help="按哪一天所在的季度（YYYY-MM-DD），默认今天。")

    def handle(self, *args, date, **options):
        round_, created = round_open_quarter(today=date or timezone.localdate())
        if created:
            told = round_.team.count()
            self.stdout.write(f"{round_.label}：已建立「{round_.title}」，已通知 {told} 名督查室人员。")
        else:
            self.stdout.write(f"{round_.label}：已有督查轮次「{round_.title}」，未重复建立。")
