"""python manage.py setup_schedules: upsert the django-q2 schedules declared in code."""

from django.core.management.base import BaseCommand

from channelhub.sync.schedules import setup_schedules


class Command(BaseCommand):
    """`setup_schedules`: upsert the schedules declared in code."""

    help = (
        "Create or update, by name, one django-q2 schedule per declared sync stream (sync:<stream>), "
        "the dispatcher of provided streams (sync:dispatch) and the outbox sweep; remove stale ones."
    )

    def handle(self, *args, **options):
        """Print what happened to each schedule."""
        for name, what in setup_schedules():
            self.stdout.write(f"{name}: {what}")
