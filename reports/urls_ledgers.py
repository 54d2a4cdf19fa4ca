from django.urls import path

from reports.views import ledgers

urlpatterns: list = [
    path("plans/<int:pk>/ledger.xlsx", ledgers.plan_ledger_download, name="plan-ledger"),
]
