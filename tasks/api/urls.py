"""/api/v1/: the API of the tasks domain — directory, plans and tasks read-only; monthly dispatch
with its review flow."""

from rest_framework.routers import DefaultRouter

from tasks.api import views, views_dispatch

app_name = "api"

router = DefaultRouter()
router.register("units", views.UnitViewSet, basename="unit")
router.register("plans", views.PlanViewSet, basename="plan")
router.register("groups", views.GroupViewSet, basename="group")
router.register("tasks", views.TaskViewSet, basename="task")
router.register("indicators", views.IndicatorViewSet, basename="indicator")
# Monthly dispatch (月调度): periods, and the three kinds of filing with their review actions.
router.register("periods", views_dispatch.PeriodViewSet, basename="period")
router.register("reports", views_dispatch.ReportViewSet, basename="report")
router.register("contributions", views_dispatch.ContributionViewSet, basename="contribution")
router.register("annual-plans", views_dispatch.AnnualPlanViewSet, basename="annual-plan")

urlpatterns = router.urls
