"""`manage.py qcluster`: django-q2's command, with a stop that ends on time (channelhub.worker).

It shadows django_q's command of the same name because "channelhub" comes before "django_q"
in INSTALLED_APPS. Another cluster (queue) name: set Q_CLUSTER_NAME in the environment (django-q2
reads it at import, so its `--name` option never worked on Linux and is not offered here). How
to run it under systemd: docs/operations.md.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from channelhub.worker import DEFAULT_GRACE_SECONDS, Cluster


class Command(BaseCommand):
    """django-q2's `qcluster`, run by `channelhub.worker.Cluster` so a stop ends within `--grace`."""

    help = (
        "Starts the django-q2 cluster (workers, schedules). SIGTERM or Ctrl-C stops it: tasks in "
        "hand get --grace seconds to finish, then the cluster is killed; its processes never "
        "outlive it."
    )

    def add_arguments(self, parser):
        """`--grace`: seconds the tasks in hand get to finish on a stop."""
        parser.add_argument(
            "--grace",
            type=float,
            default=DEFAULT_GRACE_SECONDS,
            help=f"seconds the tasks in hand get to finish on a stop (default {DEFAULT_GRACE_SECONDS:g})",
        )

    def handle(self, *args, grace, **options):
        """Check the options and the secret key, then run the cluster until it is stopped."""
        if grace < 0:
            raise CommandError("--grace must be 0 or more seconds")
        settings.SECRET_KEY  # noqa: B018 - task signing needs it: fail now, not in the first task
        Cluster(grace=grace).run()
