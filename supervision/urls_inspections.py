"""Pages of inspection rounds, findings, rectification and verification. The URL names are a
contract: services reverse ``finding-detail`` and ``round-detail``."""

from django.urls import path

from supervision.views import inspections as views

urlpatterns = [
    path("rounds/", views.round_list, name="round-list"),
    path("rounds/new/", views.round_new, name="round-new"),
    path("rounds/<int:pk>/", views.round_detail, name="round-detail"),
    path("rounds/<int:pk>/edit/", views.round_edit, name="round-edit"),
    path("rounds/<int:pk>/findings/new/", views.finding_new, name="finding-new"),
    path("findings/", views.finding_list, name="finding-list"),
    path("findings/<int:pk>/", views.finding_detail, name="finding-detail"),
    path("findings/<int:pk>/rectification/", views.finding_rectify, name="finding-rectify"),
    path("findings/<int:pk>/verify/", views.finding_verify, name="finding-verify"),
    path("findings/<int:pk>/extension/", views.finding_extension, name="finding-extension"),
    path("findings/evidence/<int:pk>/", views.finding_evidence, name="finding-evidence"),
    path("verification/", views.verification_queue, name="verification-queue"),
]
