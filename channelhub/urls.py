"""Top-level URLs: the admin back office (where `/` leads), the health and readiness probes, the favicon, and the read API (/api/v1/)."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from channelhub import views
from channelhub.admin import automation as automation_views
from channelhub.mfa import views as mfa_views
from channelhub.observability.metrics import metrics_view

admin.site.site_header = "channelhub back office"
admin.site.site_title = "channelhub"
admin.site.index_title = "Queues, mirror and jobs"
admin.site.site_url = None  # there is no public site: no "View site" link to a 404

urlpatterns = [
    # No public site: `/` is the back office (whose login page takes over when signed out).
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False), name="home"),
    path("healthz", views.healthz, name="healthz"),  # the process is up (liveness)
    path("readyz", views.readyz, name="readyz"),  # DB migrated, broker, schedules (readiness)
    path("metrics", metrics_view, name="metrics"),  # Prometheus, to METRICS_TOKEN's bearer only
    # Browsers ask for it on every page, linked or not: an icon, not a logged 404.
    path("favicon.ico", views.favicon, name="favicon"),
    path("admin/automation/take-over/", automation_views.take_over, name="automation-take-over"),
    path("admin/automation/release/", automation_views.release, name="automation-release"),
    path("admin/mfa/setup/", mfa_views.setup, name="mfa-setup"),  # enrol a TOTP app, recovery codes
    path("admin/mfa/verify/", mfa_views.verify, name="mfa-verify"),  # the second factor after login
    path("admin/", admin.site.urls),
    path("api/v1/", include("channelhub.api.urls")),
]
