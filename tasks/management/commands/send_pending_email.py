from django.core.management.base import BaseCommand, CommandError

from tasks.services.inbox import notification_email_requeue


class Command(BaseCommand):
    help = "将最近未发出的消息邮件副本重新排队发送（与每日巡检相同）。"

    def add_arguments(self, parser):
        parser.add_argument("--hours", type=int, default=48, help="回溯的小时数，默认 48。")

    def handle(self, *args, hours, **options):
        if hours < 1:
            raise CommandError("--hours 应为正整数。")
        count = notification_email_requeue(within_hours=hours)
        self.stdout.write(f"最近 {hours} 小时内待发送的邮件副本：{count} 条，已提交发送队列。")
