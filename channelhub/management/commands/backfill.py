"""python manage.py backfill STREAM [--since DATE] [--until DATE]: re-pull a window of a stream."""

from django.core.management.base import CommandError

from channelhub.management.base import StreamCommand, parse_date
from channelhub.sync import registry
from channelhub.sync.engine import run_stream


class Command(StreamCommand):
    """`backfill`: one backfill run of a stream over a window of update times, cursor untouched."""

    help = (
        "Re-read every object of STREAM whose upstream update time is in [--since, --until) and write "
        "what differs from the mirror. Without --since, from the beginning. Does not move the stream's "
        "incremental cursor. Exits 1 on failure."
    )

    def add_arguments(self, parser):
        """The stream, the window (--since, --until) and the page size."""
        parser.add_argument("stream", metavar="STREAM")
        parser.add_argument("--since", help="lower bound of the update time (YYYY-MM-DD or ISO datetime)")
        parser.add_argument("--until", help="upper bound, exclusive")
        parser.add_argument(
            "--page-size", type=int, default=None, help="objects per upstream page (max 1000)"
        )

    def handle(self, *args, stream, since, until, page_size, **options):
        """Check the options against the stream, run the backfill with a progress bar, report it."""
        self.verbosity = options["verbosity"]
        self.check_streams([stream])
        since_dt = parse_date(since, option="--since") if since else None
        until_dt = parse_date(until, option="--until") if until else None
        if since_dt and until_dt and since_dt >= until_dt:
            raise CommandError("--since must be before --until")
        if page_size is not None and not 1 <= page_size <= 1000:
            raise CommandError("--page-size must be between 1 and 1000")
        declared = registry.get(stream)
        if (since_dt or until_dt) and not declared.supports_window:
            raise CommandError(f"{stream} is read whole every run; --since/--until do not apply to it")
        if not declared.is_configured():
            raise CommandError(f"{declared.upstream}: {declared.not_configured_reason()}")
        bar, update = self.progress_bar(stream)
        try:
            run = run_stream(
                stream, since=since_dt, until=until_dt, backfill=True, page_size=page_size, on_progress=update
            )
        finally:
            bar.close()
        if not self.report(run):
            raise CommandError(f"backfill of {stream} failed")
