from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from xixian_portal import pages
from xixian_portal.health import healthz

admin.site.site_header = "西咸新区营商环境督查督办平台 · 管理后台"
admin.site.site_title = "督查督办平台管理"
admin.site.index_title = "数据管理"

urlpatterns = [
    # Pages composed from several apps (xixian_portal/pages.py).
    path("", pages.home, name="home"),
    path("tasks/<int:pk>/", pages.task_detail, name="task-detail"),
    path("", include("tasks.urls")),
    path("", include("reports.urls")),
    path("supervision/", include("supervision.urls")),
    path("api/v1/", include("tasks.api.urls")),
    path("api/v1/", include("supervision.api.urls")),
    path("api/v1/", include("reports.api.urls")),
    path("admin/", admin.site.urls),
    path("healthz/", healthz, name="healthz"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
