from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from supervision.demo import demo_supervision_build
from tasks.demo import demo_accounts_create
from tasks.models import ActionPlan
from tasks.plan_text import parse_plan, read_plan_file


class Command(BaseCommand):
    help = ("为内置方案生成督查督办演示数据：方案期内每季度的专项督查、督查问题及整改、延期、提醒、催办、督办单和通报"
            "（可重复运行；先运行 seed_demo。本季度进行中的督查在演示方案上，见 seed_demo_present）。")

    def handle(self, *args, **options):
        title = parse_plan(read_plan_file(settings.SEED_PLAN_PATH)).title
        plan = ActionPlan.objects.filter(title=title).first()
        if plan is None:
            raise CommandError("尚未导入演示方案，请先运行 python manage.py seed_demo。")
        demo_accounts_create()  # as seed_demo left them; creates any that are missing
        result = demo_supervision_build(plan=plan)
        self.stdout.write(result.summary() if result else "督查演示数据已存在，未重复生成。")
