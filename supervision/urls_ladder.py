"""Pages of the escalation ladder: overdue board, 催办/督办单, replies, extensions, 通报, messenger.
The URL names are a contract: services link to ``supervision:escalation-detail``."""

from django.urls import path

from supervision.views import ladder as views

urlpatterns = [
    path("escalations/<int:pk>/", views.escalation_detail, name="escalation-detail"),
]
