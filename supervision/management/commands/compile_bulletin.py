from django.core.management.base import BaseCommand, CommandError

from supervision.choices import Level
from supervision.models import Escalation
from supervision.services import SupervisionError, bulletin_compile


class Command(BaseCommand):
    help = "汇总某月通报：逾期下发督办单、月末仍逾期未整改、多次被退回的事项（重复汇总不会重复列入）。"

    def add_arguments(self, parser):
        parser.add_argument("year", type=int, help="年度，如 2025")
        parser.add_argument("month", type=int, help="月份，1 到 12")

    def handle(self, *args, year, month, **options):
        try:
            bulletin = bulletin_compile(year=year, month=month)
        except SupervisionError as exc:
            raise CommandError(str(exc)) from exc
        entries = list(Escalation.objects.filter(bulletin=bulletin, level=Level.BULLETIN)
                       .select_related("unit", "finding", "task", "period").order_by("unit__sort_order", "pk"))
        units = len({entry.unit_id for entry in entries})
        self.stdout.write(f"{bulletin}：{units} 个单位，{len(entries)} 项。")
        for entry in entries:
            self.stdout.write(f"  {entry.unit.short_name}｜{entry.item_label}｜{entry.message}")
