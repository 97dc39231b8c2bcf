"""When processors are asked: the sync brought a new or changed object in a subscribed status.

The sync engine calls `note_changes(model, ids)` inside each page's transaction with the keys
it created or changed (its change-only upsert knows them), so a task is queued in the same
commit as the row it is about, never by re-scanning a table, and a row the sync found unchanged
is not asked about again (a processor that skipped it waits for it to change). At most one open
task per processor and object: a second change while one is queued adds nothing (the
extension framework's dedupe). `queue_backlog` is the one deliberate scan: a supervisor
enabling a processor, or `processors run`, over the rows already in its statuses.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from channelhub.models.automation import AutomationTask, Takeover

from .processors import Settings, all_processors
from .subjects import Subject, all_subjects, subject_of

logger = logging.getLogger(__name__)


def note_changes(model, ids: Iterable[str]) -> int:
    """Queue a task for each processor subscribed to each of these rows' event and status."""
    subject = subject_of(model)
    ids = list(ids)
    if subject is None or not ids:
        return 0
    modes = Settings()
    if not modes.anything_on():
        return 0
    processors = _processors_of(subject, modes)
    if not processors:
        return 0
    return queue_tasks(subject, subject.rows().filter(pk__in=ids), processors, modes)


def queue_backlog(processor, *, product_id: str = "", modes: Settings | None = None) -> int:
    """Queue a task for every row now in a status `processor` subscribes to (one pass)."""
    modes = modes or Settings()
    queued = 0
    for subject in subjects_of_processor(processor):
        rows = rows_waiting(processor, subject, product_id=product_id).order_by("pk")
        queued += queue_tasks(subject, rows.iterator(chunk_size=1000), [processor], modes)
    return queued


def rows_waiting(processor, subject: Subject, *, product_id: str = ""):
    """The subject's rows in a status the processor subscribes to (of a product, if given)."""
    statuses = {s for event in subject.event_types for s in processor.statuses_for(event)}
    rows = subject.rows().filter(**{f"{subject.status_field}__in": sorted(statuses)})
    return rows.filter(product_id=product_id) if product_id else rows


def queue_tasks(subject: Subject, rows, processors, modes: Settings, *, chunk: int = 1000) -> int:
    """Insert the due tasks these rows call for (an open task already there wins)."""
    queued, pending = 0, []
    for batch_rows in _chunks(rows, chunk):
        held = set(
            Takeover.objects.filter(
                target_type=subject.target_type, target_id__in=[row.pk for row in batch_rows]
            ).values_list("target_id", flat=True)
        )
        pending = [
            task
            for row in batch_rows
            if row.pk not in held
            for task in _tasks_for(subject, row, processors, modes)
        ]
        if pending:
            AutomationTask.objects.bulk_create(pending, ignore_conflicts=True, batch_size=500)
            queued += len(pending)
    if queued:
        transaction.on_commit(enqueue_run)
    return queued


def _tasks_for(subject: Subject, row, processors, modes: Settings) -> list[AutomationTask]:
    event = subject.event_type(row)
    status = subject.status_of(row)
    product = subject.product_of(row) or ""
    now = timezone.now()
    tasks = []
    for processor in processors:
        mode = modes.mode(processor.name, product)
        if mode.enabled and status in processor.statuses_for(event):
            tasks.append(
                AutomationTask(
                    processor=processor.name,
                    version=processor.version,
                    event_type=event,
                    target_type=subject.target_type,
                    target_id=row.pk,
                    product_id=product,
                    dry_run=mode.dry_run,
                    next_run_at=now,
                    created_at=now,
                )
            )
    return tasks


def _processors_of(subject: Subject, modes: Settings) -> list:
    return [
        processor
        for processor in all_processors()
        if modes.maybe_on(processor.name) and any(event in subject.event_types for event in processor.events)
    ]


def subjects_of_processor(processor) -> list[Subject]:
    """The subjects whose event types the processor handles."""
    return [s for s in all_subjects() if any(event in s.event_types for event in processor.events)]


def _chunks(rows, size: int):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def enqueue_run() -> None:
    """Ask a worker to run the due tasks now; the every-minute schedule catches anything missed."""
    from django_q.tasks import async_task  # noqa: PLC0415 - django-q's tasks need the app registry ready

    try:
        async_task("channelhub.automation.tasks.run_due_task", task_name="automation-run")
    except Exception:  # the broker being down loses nothing: the schedule runs the tasks
        logger.exception("could not enqueue the automation run; the schedule will run the due tasks")
