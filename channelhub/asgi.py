"""The ASGI entry point: the Django application, on `channelhub.settings` unless DJANGO_SETTINGS_MODULE names others."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "channelhub.settings")
application = get_asgi_application()
