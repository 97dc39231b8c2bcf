"""The WSGI entry point: the Django application, on `channelhub.settings` unless DJANGO_SETTINGS_MODULE names others."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "channelhub.settings")
application = get_wsgi_application()
