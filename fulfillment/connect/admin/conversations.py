"""Conversations and their messages."""

from __future__ import annotations

from typing import ClassVar

from django.contrib import admin
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

from channelhub.admin import BoundedCountPaginator
from fulfillment.connect import selectors
from fulfillment.connect.display import admin_url
from fulfillment.connect.models import (
    Conversation,
    ConversationMessage,
    FulfillmentRequest,
    TierConfigRequest,
)

from .base import ConnectMirrorAdmin


@admin.register(Conversation)
class ConversationAdmin(ConnectMirrorAdmin):
    """The mirrored conversations, newest first, found by their id or their request's / TCR's id."""

    list_display = ("id", "instance_id", "topic", "creator_name", "created", "updated")
    search_fields = ("id",)  # shows the search box; get_search_results does the matching
    prefix_search = ("id", "instance_id")
    paginator = BoundedCountPaginator
    ordering = ("-created",)
    fields = ("id",)

    def detail_context(self, request, obj):
        """The change page's message thread and a link to the request or TCR it is about."""
        return {
            "thread": selectors.conversation_messages(conversation=obj),
            "instance_url": _instance_url(obj.instance_id),
        }


def _instance_url(instance_id: str) -> str:
    """Admin link of the request / TCR a conversation belongs to ("" for other instances)."""
    if instance_id.startswith("PR-"):
        return admin_url(FulfillmentRequest, instance_id)
    if instance_id.startswith("TCR-"):
        return admin_url(TierConfigRequest, instance_id)
    return ""


@admin.register(ConversationMessage)
class ConversationMessageAdmin(ConnectMirrorAdmin):
    """The mirrored conversation messages, newest first, with their text rendered."""

    list_display = ("id", "conversation_instance", "type", "creator_name", "excerpt", "created")
    list_filter = ("type", ("created", admin.DateFieldListFilter))
    search_fields = ("id",)  # shows the search box; get_search_results does the matching
    prefix_search = ("id", "conversation__id")
    exact_search: ClassVar[dict[str, str]] = {"conversation__instance_id": "upper"}
    list_select_related = ("conversation",)
    changelist_defer = ("payload", "text_html", "conversation__payload")
    paginator = BoundedCountPaginator
    ordering = ("-created",)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "id",
                    "conversation_link",
                    "type",
                    "creator_id",
                    "creator_name",
                    "created",
                    "updated",
                )
            },
        ),
        ("Text", {"fields": ("rendered_text",)}),
        ("Raw payload", {"classes": ("collapse",), "fields": ("raw_payload",)}),
    )

    @admin.display(description="Conversation", ordering="conversation_id")
    def conversation_instance(self, obj):
        """The request or TCR the message's conversation is about, with the conversation id."""
        if obj.conversation is None:
            return obj.conversation_id or "—"
        return f"{obj.conversation.instance_id} ({obj.conversation_id})"

    @admin.display(description="Text")
    def excerpt(self, obj):
        """The message's first 80 characters."""
        return Truncator(obj.text).chars(80)

    @admin.display(description="Conversation")
    def conversation_link(self, obj):
        """A link to the message's conversation, or a dash when it names none."""
        if not obj.conversation_id:
            return "—"
        return format_html(
            '<a href="{}">{}</a>', admin_url(Conversation, obj.conversation_id), obj.conversation_id
        )

    @admin.display(description="Message")
    def rendered_text(self, obj):
        """The message as the mapper rendered it (sanitised HTML)."""
        # text_html is the mapper's sanitised rendering (channelhub.markdown): safe by construction.
        return mark_safe(f'<div class="ch-markdown">{obj.text_html}</div>')  # noqa: S308
