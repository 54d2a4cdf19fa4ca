"""/api/v1/: the read-only API of the tasks domain."""

from rest_framework.routers import DefaultRouter

from tasks.api import views

app_name = "api"

router = DefaultRouter()
router.register("units", views.UnitViewSet, basename="unit")
router.register("plans", views.PlanViewSet, basename="plan")
router.register("groups", views.GroupViewSet, basename="group")
router.register("tasks", views.TaskViewSet, basename="task")
router.register("indicators", views.IndicatorViewSet, basename="indicator")

urlpatterns = router.urls
