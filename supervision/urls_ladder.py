"""Pages of the escalation ladder: overdue board, 催办/督办单, replies, extensions, 通报, messenger.
The URL names are a contract: services and notifications link to ``supervision:escalation-detail``,
item pages to ``supervision:escalation-new`` with the item's parameters."""

from django.urls import path

from supervision.views import ladder as views

urlpatterns = [
    path("overdue/", views.overdue_board, name="overdue-board"),
    path("escalations/", views.escalation_list, name="escalation-list"),
    path("escalations/new/", views.escalation_new, name="escalation-new"),
    path("escalations/<int:pk>/", views.escalation_detail, name="escalation-detail"),
    path("escalations/<int:pk>/notice/", views.notice_print, name="notice-print"),
    path("escalations/<int:pk>/notice.docx", views.notice_download, name="notice-download"),
    path("extensions/", views.extension_list, name="extension-list"),
    path("extensions/<int:pk>/decide/", views.extension_decide, name="extension-decide"),
    path("bulletins/", views.bulletin_list, name="bulletin-list"),
    path("bulletins/compile/", views.bulletin_compile, name="bulletin-compile"),
    path("bulletins/<int:pk>/", views.bulletin_detail, name="bulletin-detail"),
    path("settings/messenger/", views.messenger, name="messenger"),
]
