"""Views of the core app that are not part of the admin."""

from django.db import connection
from django.http import JsonResponse


def healthz(request):
    """Liveness + database check for load balancers; the one unauthenticated endpoint."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - report any database failure as unhealthy
        return JsonResponse({"status": "error", "database": str(exc.__class__.__name__)}, status=503)
    return JsonResponse({"status": "ok"})
