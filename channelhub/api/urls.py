"""/api/v1/: the read API (docs/api.md). Included by channelhub.urls.

Each domain app mounts its part from its AppConfig.ready() (`channelhub.registry.register_api`).
"""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from channelhub import registry
from channelhub.api.routers import OptionalSlashRouter

from . import views

channelhub_router = OptionalSlashRouter()
channelhub_router.register("sync-runs", views.SyncRunViewSet, basename="channelhub-syncrun")
channelhub_router.register("actions", views.UpstreamActionViewSet, basename="channelhub-upstreamaction")
channelhub_router.register("audit-events", views.AuditEventViewSet, basename="channelhub-auditevent")

urlpatterns = [
    path("", views.api_root, name="api-root"),
    *(path(f"{mount.prefix}/", include(mount.urlconf)) for mount in registry.api_mounts()),
    path("channelhub/", include(channelhub_router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("schema/swagger/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("schema/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
]
