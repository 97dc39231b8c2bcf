"""Views of the core app that are not part of the admin."""

from functools import cache
from pathlib import Path

from django.db import connection
from django.http import HttpResponse, JsonResponse

FAVICON = Path(__file__).resolve().parent / "static" / "channelhub" / "favicon.svg"


def healthz(request):
    """Liveness + database check for load balancers; the one unauthenticated endpoint."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - report any database failure as unhealthy
        return JsonResponse({"status": "error", "database": str(exc.__class__.__name__)}, status=503)
    return JsonResponse({"status": "ok"})


@cache
def _favicon_bytes() -> bytes:
    return FAVICON.read_bytes()


def favicon(request):
    """`/favicon.ico`: our icon (an SVG, which browsers take at that address too).

    Pages that do not link an icon (the API's browsable pages, a JSON error) make the browser
    ask for /favicon.ico; answering it stops a logged "Not Found" on every such page.
    """
    return HttpResponse(
        _favicon_bytes(), content_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"}
    )
