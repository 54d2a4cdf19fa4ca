"""/api/v1/: supervision — rounds, findings, rectifications, extensions, escalations, 通报.

A SimpleRouter: the tasks API's DefaultRouter already answers /api/v1/ with its root view, and a
second root here would shadow it."""

from rest_framework.routers import SimpleRouter

from supervision.api import views

app_name = "supervision-api"

router = SimpleRouter(trailing_slash=True)
router.register("rounds", views.RoundViewSet, basename="round")
router.register("findings", views.FindingViewSet, basename="finding")
router.register("rectifications", views.RectificationViewSet, basename="rectification")
router.register("extensions", views.ExtensionViewSet, basename="extension")
router.register("escalations", views.EscalationViewSet, basename="escalation")
router.register("bulletins", views.BulletinViewSet, basename="bulletin")

urlpatterns = router.urls
