"""python manage.py ensure_admin: create an admin login if there is none, and print it."""

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    """Creates a superuser with a random password, only when no superuser exists."""

    help = "Create a superuser 'admin' with a random password when no superuser exists, and print the login."

    def add_arguments(self, parser):
        """`--username` of the superuser to create (default `admin`)."""
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username, **options):
        """Create the superuser and print its login, or say one exists and change nothing."""
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            self.stdout.write("An admin login exists already (use `manage.py changepassword` to reset it).")
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser(username=username, email="", password=password)
        self.stdout.write(
            self.style.SUCCESS(f"Admin login created: username {username!r}, password {password!r}")
        )
