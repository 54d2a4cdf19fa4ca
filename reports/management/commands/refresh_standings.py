"""manage.py refresh_standings [--rebuild]: the hourly job by hand, or every month of every plan
recomputed from history (after a bulk load, or to check the summary)."""

from django.core.management.base import BaseCommand

from reports.services.standings import standings_rebuild, standings_refresh
from tasks.models import ActionPlan


class Command(BaseCommand):
    help = "刷新看板月度汇总（--rebuild：按历史记录重算全部月份）"

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="重算每个方案的全部月份")

    def handle(self, *args, rebuild: bool = False, **options):
        if rebuild:
            months = sum(standings_rebuild(plan=plan) for plan in ActionPlan.objects.all())
        else:
            months = standings_refresh()
        self.stdout.write(f"看板汇总已刷新：{months} 个月")
