"""The office's review pages (审核). The URL names are a contract: the navigation and other
pages link to ``review-queue`` and ``period-list``."""

from django.urls import path

from tasks.views import review as views

urlpatterns = [
    path("review/", views.review_queue, name="review-queue"),
    path("review/approve/", views.review_approve_bulk, name="review-approve-bulk"),
    path("review/reports/<int:pk>/", views.report_review, name="report-review"),
    path("review/contributions/<int:pk>/", views.contribution_review, name="contribution-review"),
    path("review/annual-plans/<int:pk>/", views.annual_plan_review, name="annual-plan-review"),
    path("review/periods/", views.period_list, name="period-list"),
    path("review/periods/<int:pk>/close/", views.period_close, name="period-close"),
    path("review/periods/<int:pk>/reopen/", views.period_reopen, name="period-reopen"),
]
