"""Top-level URLs: the admin back office, health check, and the read API (/api/v1/)."""

from django.contrib import admin
from django.urls import include, path

import channelhub.api.admin  # noqa: F401  registers the API token admin (channelhub.api is not an app)
from channelhub import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("channelhub.api.urls")),
]
