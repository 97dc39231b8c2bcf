"""python manage.py sync [STREAM ...] [--all] [--list]: incremental sync of mirrored streams.

Streams are named `<upstream>.<collection>` (`connect.requests`); `--list` shows the declared
ones and those provided from rows (and, on stderr, any provided stream left out and why).

Exit status: 0 all synced, 1 a stream failed (or, with --all, a provided stream was left out),
3 a stream was skipped because another run holds its lock (and none failed); the message says
who holds it and until when.
"""

from django.core.management.base import CommandError

from channelhub.management.base import StreamCommand
from channelhub.models import SyncRunStatus, SyncTrigger
from channelhub.sync import registry
from channelhub.sync.engine import run_stream

BUSY = 3  # exit status when a stream was skipped because it is locked (and none failed)


class Command(StreamCommand):
    """`sync`: run the named streams (or --all) once, or list them."""

    help = (
        "Pull what changed upstream since the last run into the mirror, for the named streams or --all. "
        "Streams of upstreams that are not configured are skipped, saying so. Exits 1 if any stream failed, "
        "else 3 if any was skipped because another run holds its lock."
    )

    def add_arguments(self, parser):
        """STREAM ..., --all, --list, --page-size."""
        parser.add_argument("streams", nargs="*", metavar="STREAM")
        parser.add_argument("--all", action="store_true", help="every stream, catalog first")
        parser.add_argument("--list", action="store_true", help="list the streams and exit")
        parser.add_argument(
            "--page-size", type=int, default=None, help="objects per upstream page (max 1000)"
        )

    def handle(self, *args, streams, page_size, **options):
        """List, or run each stream and report it; the exit status says how it went."""
        self.verbosity = options["verbosity"]
        all_, list_ = options["all"], options["list"]
        if list_:
            self.list_streams()
            return
        if all_ and streams:
            raise CommandError("give stream names or --all, not both")
        if not all_ and not streams:
            raise CommandError("name the streams to sync, or --all (see --list)")
        if page_size is not None and not 1 <= page_size <= 1000:
            raise CommandError("--page-size must be between 1 and 1000")
        left_out = []
        if all_:
            provided = registry.provided()
            names = [*registry.declared_streams(), *provided.streams]
            left_out = provided.errors
            self.show_left_out(left_out)
        else:
            names = self.check_streams(streams)

        skipped_upstreams = set()
        ok = True
        busy = []
        for name in names:
            stream = registry.get(name)
            if not stream.is_configured():
                if stream.upstream not in skipped_upstreams:
                    self.stdout.write(
                        self.style.WARNING(f"{stream.upstream}: {stream.not_configured_reason()}; skipping")
                    )
                    skipped_upstreams.add(stream.upstream)
                continue
            bar, update = self.progress_bar(name)
            try:
                run = run_stream(name, trigger=SyncTrigger.COMMAND, page_size=page_size, on_progress=update)
            finally:
                bar.close()
            ok = self.report(run) and ok
            if run.status == SyncRunStatus.SKIPPED:
                busy.append(f"{name} ({run.error})")
        if not ok:
            raise CommandError(
                "some streams failed; see the errors above and the Sync runs page in the admin"
            )
        if left_out:
            raise CommandError("some provided streams were left out; see the errors above")
        if busy:
            # Not a success: an operator or a cron job must be able to tell nothing was synced.
            raise CommandError(f"skipped, another run holds the lock: {'; '.join(busy)}", returncode=BUSY)

    def list_streams(self) -> None:
        """One line per stream (declared, then provided), then any provided stream left out."""
        provided = registry.provided()
        declared = registry.declared_streams()
        for stream in [*declared.values(), *provided.streams.values()]:
            configured = "" if stream.is_configured() else "  (not configured)"
            every = stream.schedule_words or f"every {stream.schedule_minutes} min"
            how = "" if stream.name in declared else "  (provided; run by the dispatcher)"
            self.stdout.write(
                f"{stream.name:30} {stream.upstream:8} {every:18} {stream.description}{how}{configured}"
            )
        self.show_left_out(provided.errors)

    def show_left_out(self, errors: list[str]) -> None:
        """Say, on stderr, which provided streams are left out and why."""
        for error in errors:
            self.stderr.write(self.style.ERROR(f"error: {error}"))
