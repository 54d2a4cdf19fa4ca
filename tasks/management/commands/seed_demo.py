from contextlib import nullcontext

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from tasks.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, demo_accounts_create
from tasks.demo_history import demo_clock, demo_history_build, demo_plan_arrival
from tasks.models import ActionPlan
from tasks.plan_text import parse_plan, read_plan_file


class Command(BaseCommand):
    help = "加载单位目录、导入内置行动方案、创建演示账号并生成其三年的演示填报历史（可重复运行）。"

    def add_arguments(self, parser):
        parser.add_argument("--without-history", action="store_true", help="不生成演示填报历史。")

    def handle(self, *args, without_history, **options):
        parsed = parse_plan(read_plan_file(settings.SEED_PLAN_PATH))
        # On a new database the plan arrives before its first month, as it did: its history and
        # the tasks' timelines then begin before the reports on them, not years after.
        fresh = not ActionPlan.objects.filter(title=parsed.title).exists()
        with demo_clock(demo_plan_arrival(parsed.start_year)) if fresh else nullcontext():
            call_command("load_units", stdout=self.stdout)
            call_command("import_plan", stdout=self.stdout)
            demo_accounts_create()
        names = "、".join(a[0] for a in DEMO_ACCOUNTS)
        self.stdout.write(self.style.SUCCESS(f"演示账号：{names}；初始密码 {DEMO_PASSWORD}"))
        if without_history:
            return
        history = demo_history_build(plan=ActionPlan.objects.get(title=parsed.title))
        self.stdout.write(history.summary() if history else "演示历史已存在，未重复生成。")
