"""Top-level URLs: the admin back office, health check, and the read API (/api/v1/)."""

from django.contrib import admin
from django.urls import include, path

from channelhub import views

admin.site.site_header = "channelhub back office"
admin.site.site_title = "channelhub"
admin.site.index_title = "Queues, mirror and jobs"
admin.site.site_url = None  # there is no public site: no "View site" link to a 404

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("channelhub.api.urls")),
]
