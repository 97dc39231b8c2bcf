"""python manage.py send_actions [--retry-failed]: drain the outbox once, for operators."""

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count
from django.utils import timezone

from channelhub.actions.models import ActionStatus, UpstreamAction
from channelhub.actions.sender import send_due


class Command(BaseCommand):
    help = (
        "Send every queued action that is due now (and, with --retry-failed, every failed one again), "
        "then print what is left. Exits 1 if any action ended failed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--retry-failed",
            action="store_true",
            help="queue failed actions again before sending (as a supervisor would)",
        )
        parser.add_argument(
            "--all-queued",
            action="store_true",
            help="also send queued actions whose retry time has not come yet",
        )

    def handle(self, *args, retry_failed, all_queued, **options):
        now = timezone.now()
        if retry_failed:
            n = UpstreamAction.objects.filter(status=ActionStatus.FAILED).update(
                status=ActionStatus.QUEUED, next_attempt_at=now, finished_at=None
            )
            self.stdout.write(f"queued {n} failed action(s) again")
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
        if failed:
            raise CommandError(
                f"{failed} action(s) failed; see above (and the Upstream actions page in the admin)"
            )
