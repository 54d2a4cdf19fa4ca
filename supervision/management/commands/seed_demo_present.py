from contextlib import nullcontext

from django.core.management.base import BaseCommand
from django.utils import timezone

from supervision.demo import demo_present_build
from tasks.demo import demo_accounts_create, demo_plan_first_year, demo_plan_get, demo_plan_load
from tasks.demo_history import demo_clock, demo_plan_arrival


class Command(BaseCommand):
    help = ("导入演示方案（标题以【演示】开头：内置方案的年份顺延，使今天在其执行期内），生成其月调度历史、"
            "本月各种状态的填报、近几周的填报督办（提醒、催办、督办单及单位回复）和本季度进行中的专项督查"
            "（可重复运行；先运行 seed_demo）。")

    def add_arguments(self, parser):
        parser.add_argument("--months", type=int, default=None,
                            help="只生成最近 N 个月（含本月）的填报历史，默认为方案开始以来的全部月份。")

    def handle(self, *args, months, **options):
        demo_accounts_create()  # as seed_demo left them; creates any that are missing
        today = timezone.localdate()
        # On a new database the plan arrives before its first month, as a real one would.
        fresh = demo_plan_get() is None
        with demo_clock(demo_plan_arrival(demo_plan_first_year(today))) if fresh else nullcontext():
            plan = demo_plan_load(today=today)
        self.stdout.write(f"演示方案：{plan.title}（{plan.status.label}）")
        built = [ym for ym in plan.months if ym <= (today.year, today.month)]
        result = demo_present_build(plan=plan, months=built[-months:] if months else None)
        self.stdout.write(result.summary() if result else "演示方案的填报和督办数据已存在，未重复生成。")
