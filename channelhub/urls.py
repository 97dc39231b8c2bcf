"""Top-level URLs: the admin back office, health check, and (later) the read API."""

from django.contrib import admin
from django.urls import path

from channelhub import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
