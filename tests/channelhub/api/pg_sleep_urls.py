"""Test-only routes (PostgreSQL): the real requests viewset over a queryset that sleeps.

`/api/v1/sleepy?...` is `FulfillmentRequestViewSet` whose every statement first sleeps
`SLEEP_SECONDS` (`pg_sleep`), so a test can make a request that must outlast the statement
timeout; `/api/v1/timeout` answers the `statement_timeout` in effect during a request.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL
from django.urls import include, path
from rest_framework.response import Response

from fulfillment.connect.api.views import FulfillmentRequestViewSet

SLEEP_SECONDS = 30.0


class SleepyRequestViewSet(FulfillmentRequestViewSet):
    def get_queryset(self):
        sleeps = RawSQL("(SELECT true FROM pg_sleep(%s))", [SLEEP_SECONDS], output_field=BooleanField())
        return super().get_queryset().filter(sleeps)


class TimeoutViewSet(FulfillmentRequestViewSet):
    def list(self, request, *args, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            return Response({"statement_timeout": cursor.fetchone()[0]})


urlpatterns = [
    path("api/v1/sleepy", SleepyRequestViewSet.as_view({"get": "list"})),
    path("api/v1/timeout", TimeoutViewSet.as_view({"get": "list"})),
    path("", include("channelhub.urls")),
]
