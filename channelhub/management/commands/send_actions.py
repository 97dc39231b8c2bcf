"""python manage.py send_actions [--retry-failed]: drain the outbox once, for operators."""

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count
from django.utils import timezone

from channelhub.actions.sender import send_due
from channelhub.actions.services import action_retry
from channelhub.actors import system_actor
from channelhub.models import ActionStatus, UpstreamAction
from channelhub.services import ServiceError


class Command(BaseCommand):
    """Drains the outbox once for operators; fails (exit 1) if an action failed or could not be retried."""

    help = (
        "Send every queued action that is due now (and, with --retry-failed, every failed one again), "
        "then print what is left. Exits 1 if any action ended failed."
    )

    def add_arguments(self, parser):
        """`--retry-failed` and `--all-queued`."""
        parser.add_argument(
            "--retry-failed",
            action="store_true",
            help="retry failed actions before sending, each through the retry service as the system actor",
        )
        parser.add_argument(
            "--all-queued",
            action="store_true",
            help="also send queued actions whose retry time has not come yet",
        )

    def handle(self, *args, retry_failed, all_queued, **options):
        """Retry failed ones if asked, send what is due (or all queued), then report each and what is left."""
        now = timezone.now()
        refused = 0
        if retry_failed:
            refused = self._retry_failed()
        if all_queued:
            UpstreamAction.objects.filter(status=ActionStatus.QUEUED).update(next_attempt_at=now)
        done = send_due(limit=100000)
        failed = 0
        for action in done:
            line = f"{action.pk} {action.kind} {action.target_id}: {action.status}"
            if action.status == ActionStatus.FAILED:
                failed += 1
                self.stderr.write(self.style.ERROR(f"{line}: {action.last_error}"))
            elif action.status == ActionStatus.QUEUED:
                self.stdout.write(
                    self.style.WARNING(
                        f"{line} (retry at {action.next_attempt_at:%H:%M:%S}): {action.last_error}"
                    )
                )
            else:
                self.stdout.write(self.style.SUCCESS(line))
        left = dict(
            UpstreamAction.objects.filter(status__in=ActionStatus.OPEN_STATES)
            .values_list("status")
            .annotate(n=Count("pk"))
        )
        self.stdout.write(f"sent {len(done)}; still open: {left or 'none'}")
        if failed or refused:
            raise CommandError(
                f"{failed} action(s) failed and {refused} could not be retried; see above "
                "(and the Upstream actions page in the admin)"
            )

    def _retry_failed(self) -> int:
        """Retry each failed action through the service, as the system actor (audited).

        Returns how many were refused (another action on the same target is open, say).
        """
        actor = system_actor()
        queued = refused = 0
        for action in UpstreamAction.objects.filter(status=ActionStatus.FAILED).order_by("created_at", "pk"):
            try:
                action_retry(action=action, actor=actor)
            except ServiceError as error:
                refused += 1
                self.stderr.write(
                    self.style.ERROR(
                        f"{action.pk} {action.kind} {action.target_id}: not retried: {error.message}"
                    )
                )
            else:
                queued += 1
        self.stdout.write(f"queued {queued} failed action(s) again")
        return refused
