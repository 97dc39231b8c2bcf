"""Connect conversations (`CO-…`) and their messages (`ME-…`): the thread beside each request."""

from typing import ClassVar

from django.db import models

from channelhub.models import MirroredModel
from channelhub.models.fields import mirror_fk, ref, string, when
from fulfillment.connect.choices import MessageType


class Conversation(MirroredModel):
    """A conversation (`CO-…`, `/conversations`) attached to one PR-/TCR- (its `instance_id`).

    Not a foreign key to the request: an instance id may name a request, a TCR or another
    upstream object, and the request detail page looks its thread up by `instance_id`.
    """

    instance_id = ref(db_index=True)
    topic = string(500)
    type = string(32)
    status = string(32)
    creator_id = ref()
    creator_name = string()
    created = when(db_index=True)
    updated = when(db_index=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created"]


class ConversationMessage(MirroredModel):
    """A message (`ME-…`, `/conversations/{id}/messages`) in a conversation.

    `text` is the author's markdown; `text_html` is rendered and sanitised at sync time.
    """

    conversation = mirror_fk(Conversation, "messages")
    text = models.TextField(blank=True, default="")
    text_html = models.TextField(blank=True, default="", editable=False)
    type = string(32, choices=MessageType.choices)
    creator_id = ref()
    creator_name = string()
    account_id = ref()
    account_name = string()
    created = when(db_index=True)
    updated = when(db_index=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created"]
        verbose_name = "conversation message"
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["conversation", "created"], name="me_conversation_created")
        ]
