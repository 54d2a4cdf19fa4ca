"""Pages of the escalation ladder: overdue board, 催办/督办单, replies, extensions, 通报, messenger."""

urlpatterns = []
