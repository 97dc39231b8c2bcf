"""Child-row writes: a page replaces the children of the parents it lists, in its transaction
(`Batch.children`), counted per model on the SyncRun. Over a real pair: a Connect
conversation and its messages, through the engine with a stream defined here."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from channelhub.models import SyncRunStatus
from channelhub.sync import upsert
from channelhub.sync.engine import run_stream
from channelhub.sync.streams import Batch, Children, RunContext
from fulfillment.models import Conversation, ConversationMessage

from .streams import InMemoryStream

pytestmark = pytest.mark.django_db

MESSAGES = "fulfillment.conversationmessage"


class Threads(InMemoryStream):
    """Conversations from `self.threads` ({conversation: {message: text}}), one page each,
    their messages written as the conversation's children."""

    name = "test.threads"
    model = Conversation

    def __init__(self):
        self.threads: dict[str, dict[str, str]] = {}
        self.stray: str | None = None  # a conversation whose messages claim another parent

    def batches(self, ctx: RunContext) -> Iterator[Batch]:
        for cid, messages in sorted(self.threads.items()):
            parent = "CO-OTHER" if cid == self.stray else cid
            rows = [
                (mid, {"conversation_id": parent, "text": text}, {"id": mid, "text": text})
                for mid, text in sorted(messages.items())
            ]
            yield Batch(
                writes=[(Conversation, [(cid, {"topic": cid}, {"id": cid})])],
                children=[Children(ConversationMessage, "conversation", [cid], rows)],
                fetched=1,
            )


def messages() -> dict[str, tuple[str, str]]:
    return {m.pk: (m.conversation_id, m.text) for m in ConversationMessage.objects.all()}


@pytest.fixture
def threads(register) -> Threads:
    stream = register(Threads())
    stream.threads = {"CO-1": {"ME-1": "hello", "ME-2": "again"}, "CO-2": {"ME-3": "other"}}
    # a conversation this stream does not list: its messages are never touched
    ConversationMessage.objects.create(id="ME-9", conversation_id="CO-9", text="elsewhere")
    first = run_stream(stream.name)
    assert first.status == SyncRunStatus.SUCCEEDED, first.error
    assert first.model_counts[MESSAGES] == {"created": 3, "updated": 0, "unchanged": 0, "deleted": 0}
    return stream


def test_a_page_replaces_the_children_of_the_parents_it_lists(threads):
    threads.threads = {"CO-1": {"ME-2": "again, edited", "ME-4": "new"}, "CO-2": {}}
    run = run_stream(threads.name)
    assert run.status == SyncRunStatus.SUCCEEDED, run.error
    assert messages() == {
        "ME-2": ("CO-1", "again, edited"),
        "ME-4": ("CO-1", "new"),
        "ME-9": ("CO-9", "elsewhere"),
    }
    assert run.model_counts[MESSAGES] == {"created": 1, "updated": 1, "unchanged": 0, "deleted": 2}
    assert run.model_counts["fulfillment.conversation"]["unchanged"] == 2
    assert (run.created, run.updated, run.unchanged) == (0, 0, 2)  # the stream's own model

    again = run_stream(threads.name)
    assert again.model_counts[MESSAGES] == {"created": 0, "updated": 0, "unchanged": 2, "deleted": 0}
    assert len(messages()) == 3


def test_a_page_that_fails_leaves_the_children_as_they_were(threads, monkeypatch):
    before = messages()
    threads.threads = {"CO-1": {"ME-5": "would replace both"}, "CO-2": {"ME-3": "other"}}

    def failing(model, rows, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(upsert, "upsert_rows", failing)  # after the stale children are deleted
    run = run_stream(threads.name)
    assert run.status == SyncRunStatus.FAILED and "went away" in run.error
    assert messages() == before  # the deletion was rolled back with the page


def test_children_of_a_parent_not_listed_are_refused(threads):
    before = messages()
    threads.threads = {"CO-1": {"ME-1": "hello"}, "CO-2": {"ME-3": "moved?"}}
    threads.stray = "CO-2"
    run = run_stream(threads.name)
    assert run.status == SyncRunStatus.FAILED
    assert "not children of the parents given" in run.error
    # the first page (CO-1) was committed before the refused one
    assert messages() == {k: v for k, v in before.items() if k != "ME-2"}


def test_children_of_parents_created_in_the_transaction_are_written_without_reads(db):
    """`fresh` parents have no children yet: nothing is read for them (on a first pass that is
    most of the reads), and their rows are still upserted and counted."""
    from django.db import connection, transaction  # noqa: PLC0415 - this test only
    from django.test.utils import CaptureQueriesContext  # noqa: PLC0415 - this test only

    Conversation.objects.create(id="CO-OLD", topic="old")
    ConversationMessage.objects.create(id="ME-OLD", conversation_id="CO-OLD", text="stale")
    Conversation.objects.create(id="CO-NEW", topic="new")
    rows = [
        ("ME-A", {"conversation_id": "CO-NEW", "text": "a"}, {"id": "ME-A"}),
        ("ME-B", {"conversation_id": "CO-OLD", "text": "b"}, {"id": "ME-B"}),
    ]
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        counts = upsert.replace_children(
            ConversationMessage, "conversation", ["CO-NEW", "CO-OLD"], rows, fresh={"CO-NEW"}
        )
    reads = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("SELECT")]
    assert all("CO-NEW" not in sql and "ME-A" not in sql for sql in reads), reads
    assert (counts.created, counts.deleted) == (2, 1)
    assert messages() == {"ME-A": ("CO-NEW", "a"), "ME-B": ("CO-OLD", "b")}
