from django.urls import path

from reports.views import ledgers

urlpatterns: list = [
    path("plans/<int:pk>/ledger.xlsx", ledgers.plan_ledger_download, name="plan-ledger"),
    path("ledgers/tasks.xlsx", ledgers.task_ledger_download, name="task-ledger"),
    path("ledgers/findings.xlsx", ledgers.finding_ledger_download, name="finding-ledger"),
    path("ledgers/indicators.xlsx", ledgers.indicator_ledger_download, name="indicator-ledger"),
    path("ledgers/exports/<int:pk>/", ledgers.export_detail, name="ledger-export"),
    path("ledgers/exports/<int:pk>/download/", ledgers.export_download, name="ledger-export-download"),
]
