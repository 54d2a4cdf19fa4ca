"""/api/v1/: supervision — rounds, findings, rectifications, extensions, escalations, 通报."""

from rest_framework.routers import DefaultRouter

app_name = "supervision-api"

router = DefaultRouter(trailing_slash=True)

urlpatterns = router.urls
