"""python manage.py retention [--dry-run]: delete what the retention settings no longer keep."""

from django.core.management.base import BaseCommand

from channelhub.retention import run_retention


class Command(BaseCommand):
    """Applies the RETENTION_* settings now (what the daily `housekeeping:retention` does)."""

    help = (
        "Delete django-q task results, sync runs, finished outbox actions and automation tasks (and "
        "audit events, if RETENTION_AUDIT_DAYS is set) older than their RETENTION_*_DAYS, in batches; "
        "print the rows deleted per table. --dry-run counts them and deletes nothing."
    )

    def add_arguments(self, parser):
        """`--dry-run`."""
        parser.add_argument("--dry-run", action="store_true", help="count what would go; delete nothing")

    def handle(self, *args, dry_run, **options):
        """One line per kind of row: its table, its days, the rows deleted (or that would be)."""
        for outcome in run_retention(dry_run=dry_run):
            self.stdout.write(outcome.line(dry_run=dry_run))
