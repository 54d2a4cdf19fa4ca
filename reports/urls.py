from django.urls import path

from reports import views

urlpatterns: list = [
    path("plans/<int:pk>/ledger.xlsx", views.plan_ledger_download, name="plan-ledger"),
]
