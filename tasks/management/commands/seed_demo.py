from django.core.management import call_command
from django.core.management.base import BaseCommand

from tasks.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, demo_accounts_create


class Command(BaseCommand):
    help = "加载单位目录、导入内置行动方案并创建演示账号（可重复运行）。"

    def handle(self, *args, **options):
        call_command("load_units", stdout=self.stdout)
        call_command("import_plan", stdout=self.stdout)
        demo_accounts_create()
        names = "、".join(a[0] for a in DEMO_ACCOUNTS)
        self.stdout.write(self.style.SUCCESS(f"演示账号：{names}；初始密码 {DEMO_PASSWORD}"))
