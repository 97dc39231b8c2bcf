"""What channelhub's management commands share: stream selection, dates, progress bars."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from channelhub.models import SyncRun, SyncRunStatus
from channelhub.sync import registry
from channelhub.sync.engine import Progress
from channelhub.sync.names import renamed_to


def parse_date(value: str, *, option: str) -> datetime:
    """A date or datetime from the command line (ISO 8601); naive values are taken as UTC."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise CommandError(
            f"{option}: {value!r} is not a date; use YYYY-MM-DD or an ISO 8601 datetime"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class StreamCommand(BaseCommand):
    """Base of the commands that run streams: validates names, shows progress, reports runs."""

    def check_streams(self, names: list[str]) -> list[str]:
        """`names`, if every one is a stream (declared or provided); else a CommandError saying
        which are not, with the new name of any old one."""
        known = registry.all_streams()
        unknown = [n for n in names if n not in known]
        renamed = [f"{n!r} is now called {new!r}" for n in unknown if (new := renamed_to(n))]
        if renamed:
            raise CommandError(
                f"{'; '.join(renamed)} (streams are named <upstream>.<collection>; see `manage.py sync --list`)"
            )
        if unknown:
            raise CommandError(
                f"unknown stream(s): {', '.join(unknown)}. Known streams: {', '.join(known)} "
                "(see `manage.py sync --list`)"
            )
        return names

    def progress_bar(self, name: str):
        """A tqdm bar on stderr for stream `name` (none at verbosity 0) and the callback that moves it."""
        bar = tqdm(
            desc=name,
            unit="obj",
            file=sys.stderr,
            dynamic_ncols=True,
            disable=self.verbosity == 0,
            leave=True,
        )

        def update(p: Progress) -> None:
            if p.remaining is not None:
                bar.total = p.fetched + p.remaining
            bar.n = p.fetched
            bar.set_postfix(
                created=p.run.created, updated=p.run.updated, unchanged=p.run.unchanged, refresh=False
            )
            bar.refresh()

        return bar, update

    def report(self, run: SyncRun) -> bool:
        """Print one line for a finished run; True when it did not fail."""
        if run.status == SyncRunStatus.SKIPPED:
            self.stdout.write(self.style.WARNING(f"{run.stream}: skipped: {run.error}"))
            return True
        line = (
            f"{run.stream}: {run.status} in {run.duration.total_seconds():.1f}s, pages={run.pages} "
            f"created={run.created} updated={run.updated} unchanged={run.unchanged} (run #{run.pk})"
        )
        if run.status == SyncRunStatus.FAILED:
            self.stderr.write(self.style.ERROR(f"{line}\n  error: {run.error}"))
            return False
        self.stdout.write(self.style.SUCCESS(line))
        return True
