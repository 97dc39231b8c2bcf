"""A per-stream lease lock in the database, so a stream never runs twice at once.

It has to hold across processes and machines (several qcluster workers, a command run by
an operator, a button in the admin), so it lives in the `StreamState` row. Taking and
renewing it are single conditional UPDATEs, atomic on SQLite and PostgreSQL alike. The
lease expires by itself (`SYNC_LOCK_SECONDS`) if its holder dies; a live holder renews it
with every page, in the page's own transaction, so a page is only ever committed by the
current holder.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from channelhub.models import StreamState


class LockLost(Exception):
    """The lease ran out and another run took the stream over."""


def new_owner() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def ensure_state(stream: str) -> None:
    if not StreamState.objects.filter(stream=stream).exists():
        try:
            with transaction.atomic():
                StreamState.objects.create(stream=stream)
        except IntegrityError:
            pass  # created by a concurrent run: fine


def acquire(stream: str, owner: str, *, seconds: int | None = None) -> bool:
    ensure_state(stream)
    now = timezone.now()
    until = now + timedelta(seconds=seconds or settings.SYNC_LOCK_SECONDS)
    free = Q(locked_until__isnull=True) | Q(locked_until__lt=now) | Q(locked_by=owner)
    with transaction.atomic():
        taken = StreamState.objects.filter(free, stream=stream).update(locked_by=owner, locked_until=until)
    return taken == 1


def renew(stream: str, owner: str, *, seconds: int | None = None) -> None:
    """Extend the lease; raises LockLost if someone else holds it now. Call inside the page's transaction."""
    until = timezone.now() + timedelta(seconds=seconds or settings.SYNC_LOCK_SECONDS)
    if StreamState.objects.filter(stream=stream, locked_by=owner).update(locked_until=until) != 1:
        raise LockLost(f"lost the lock on stream {stream!r}")


def release(stream: str, owner: str) -> None:
    with transaction.atomic():
        StreamState.objects.filter(stream=stream, locked_by=owner).update(locked_by="", locked_until=None)


def holder(stream: str) -> tuple[str, object] | None:
    state = StreamState.objects.filter(stream=stream).values_list("locked_by", "locked_until").first()
    if state and state[0] and state[1] and state[1] > timezone.now():
        return state
    return None
