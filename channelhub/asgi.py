"""The ASGI entry point: Django's application, on channelhub.settings unless DJANGO_SETTINGS_MODULE is set."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "channelhub.settings")
application = get_asgi_application()
