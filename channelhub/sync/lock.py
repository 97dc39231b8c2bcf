"""A per-stream lease lock in the database, so a stream never runs twice at once.

It has to hold across processes and machines (several qcluster workers, a command run by
an operator, a button in the admin), so it lives in the `StreamState` row. Taking and
renewing it are single conditional UPDATEs, atomic on SQLite and PostgreSQL alike. A live
holder renews the lease (`SYNC_LOCK_SECONDS`) with every page, in the page's own
transaction, so a page is only ever committed by the current holder.

A holder that dies stops renewing. Its lease is taken over when it expires, or at once when
the holder was a process on this host that no longer exists: the owner string
`host:pid:start:uuid` names the host, the pid and the process's start time (clock ticks since
boot, /proc/<pid>/stat field 22), so a pid the kernel has since given to another process does
not pass for the dead holder. Whoever takes a stream over closes the runs the lost holder left
`running` as failed ("worker lost"), in the same transaction.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from channelhub.models import StreamState, SyncRun, SyncRunStatus

WORKER_LOST = "worker lost"


class LockLost(Exception):
    """The lease ran out and another run took the stream over."""


def this_host() -> str:
    """This host's name as owner strings carry it (at most 30 characters)."""
    return socket.gethostname()[:30]


def process_start(pid: int) -> str | None:
    """When process `pid` started (clock ticks since boot), or None if there is no such process.

    "" when the system has no /proc (the pid alone then decides, through os.kill(pid, 0))."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            # The command name (field 2) may hold spaces and parentheses: count from its end.
            fields = stat.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None if os.path.isdir("/proc/self") else _pid_exists_without_proc(pid)
    except OSError:
        return ""
    if fields[:1] in (["Z"], ["X"]):
        return None  # killed, not yet reaped by its parent: dead all the same
    return fields[19] if len(fields) > 19 else ""


def _pid_exists_without_proc(pid: int) -> str | None:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # exists, owned by someone else
    return ""


def new_owner(pid: int | None = None) -> str:
    """An owner string for this process (or another local process `pid`)."""
    pid = os.getpid() if pid is None else pid
    return f"{this_host()}:{pid}:{process_start(pid) or ''}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Owner:
    """A parsed owner string (`host:pid:start:uuid`): enough to tell whether a local holder died."""

    host: str
    pid: int
    start: str  # "" when unknown (an owner string of an older version: host:pid:uuid)

    @classmethod
    def parse(cls, owner: str) -> Owner | None:
        """The owner in `owner`, or None for a string that is not one of ours."""
        parts = owner.split(":")
        if len(parts) not in (3, 4) or not parts[1].isdigit():
            return None  # not one of ours: only its lease can tell it is gone
        return cls(host=parts[0], pid=int(parts[1]), start=parts[2] if len(parts) == 4 else "")

    def __str__(self) -> str:
        return f"pid {self.pid} on {self.host}"


def is_dead_local(owner: str) -> bool:
    """True when `owner` was a process on this host that no longer exists (or whose pid now
    belongs to a process started at another time). Holders on other hosts are never judged."""
    parsed = Owner.parse(owner)
    if parsed is None or parsed.host != this_host():
        return False
    start = process_start(parsed.pid)
    if start is None:
        return True
    return bool(parsed.start and start and parsed.start != start)


def describe(owner: str) -> str:
    """The owner for people (`pid 123 on host (host:123:...)`), or the raw string if not ours."""
    parsed = Owner.parse(owner)
    return f"{parsed} ({owner})" if parsed else owner


def ensure_state(stream: str) -> None:
    """Create the stream's `StreamState` row if it is missing (safe under concurrent runs)."""
    if not StreamState.objects.filter(stream=stream).exists():
        try:
            with transaction.atomic():
                StreamState.objects.create(stream=stream)
        except IntegrityError:
            pass  # created by a concurrent run: fine


def acquire(stream: str, owner: str, *, seconds: int | None = None) -> bool:
    """Take the stream's lock for `owner`: if it is free, expired, `owner`'s already, or held by
    a dead process of this host. Closes the runs a lost holder left running, in the same
    transaction."""
    ensure_state(stream)
    now = timezone.now()
    until = now + timedelta(seconds=seconds or settings.SYNC_LOCK_SECONDS)
    free = Q(locked_by="") | Q(locked_until__isnull=True) | Q(locked_until__lt=now) | Q(locked_by=owner)
    current = StreamState.objects.filter(stream=stream).values_list("locked_by", flat=True).first()
    if current and current != owner and is_dead_local(current):
        # Conditional on the dead owner: if someone else took it meanwhile, nothing matches.
        free |= Q(locked_by=current)
    with transaction.atomic():
        taken = StreamState.objects.filter(free, stream=stream).update(locked_by=owner, locked_until=until)
        if taken == 1:
            # We hold the lock now, so any other run of the stream still `running` lost its worker.
            SyncRun.objects.filter(stream=stream, status=SyncRunStatus.RUNNING).exclude(owner=owner).update(
                status=SyncRunStatus.FAILED, error=WORKER_LOST, finished_at=now
            )
    return taken == 1


def renew(stream: str, owner: str, *, seconds: int | None = None) -> None:
    """Extend the lease; raises LockLost if someone else holds it now. Call inside the page's transaction."""
    until = timezone.now() + timedelta(seconds=seconds or settings.SYNC_LOCK_SECONDS)
    if StreamState.objects.filter(stream=stream, locked_by=owner).update(locked_until=until) != 1:
        raise LockLost(f"lost the lock on stream {stream!r}")


def release(stream: str, owner: str) -> None:
    """Free the stream's lock if `owner` still holds it (a no-op otherwise)."""
    with transaction.atomic():
        StreamState.objects.filter(stream=stream, locked_by=owner).update(locked_by="", locked_until=None)


def holder(stream: str) -> tuple[str, datetime] | None:
    """(owner, lease end) of the stream's live lock, or None when it is free or expired."""
    state = StreamState.objects.filter(stream=stream).values_list("locked_by", "locked_until").first()
    if state and state[0] and state[1] and state[1] > timezone.now():
        return state
    return None


def close_lost_runs() -> int:
    """Release the locks of dead local holders, then close as failed ("worker lost") every
    `running` run whose owner no longer holds a live lease on its stream. Returns how many.

    Race-free without a lock of its own: a run's owner holds the lease from before the run's
    row exists until after its final save, so a running row without it has lost its worker.
    """
    now = timezone.now()
    held = StreamState.objects.exclude(locked_by="").values_list("stream", "locked_by")
    for stream, owner in held:
        if is_dead_local(owner):
            release(stream, owner)
    live = StreamState.objects.filter(
        stream=OuterRef("stream"), locked_by=OuterRef("owner"), locked_until__gt=now
    )
    with transaction.atomic():
        return (
            SyncRun.objects.filter(status=SyncRunStatus.RUNNING)
            .exclude(Exists(live))
            .update(status=SyncRunStatus.FAILED, error=WORKER_LOST, finished_at=now)
        )
