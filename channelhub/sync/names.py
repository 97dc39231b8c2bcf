"""What a stream's name looks like, `<upstream>.<collection>`, and what the streams were called before.

A name is its upstream's name, a dot, and the collection (`connect.requests`,
`channel.entitlements`); a stream made from a row may add a part of its own after another dot
(`cmp.resources.eu-west`). It keys the stream's `StreamState` (its cursor and lock), its
`SyncRun` rows and its schedule `sync:<name>`, so it fits in 64 characters and never changes
once rows carry it. The names changed once (issue 11, migration 0010_stream_names): `FORMER`
lets an operator who types an old name be told the new one.
"""

from __future__ import annotations

import re

MAX_LENGTH = 64  # StreamState.stream, SyncRun.stream
_PART = re.compile(r"[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)*")

# Old name -> new name (a copy of the map in channelhub/migrations/0010_stream_names.py, which
# keeps its own: a migration never imports code that may change after it).
FORMER = {
    **{
        old: f"connect.{old}"
        for old in (
            "products",
            "templates",
            "marketplaces",
            "hubs",
            "tier_accounts",
            "assets",
            "requests",
            "tier_configs",
            "tier_config_requests",
            "conversations",
        )
    },
    **{
        f"channel_{old}": f"channel.{old}"
        for old in ("products", "offers", "customers", "partner_links", "entitlements", "entitlement_changes")
    },
}


def name_problem(name: str, upstream: str) -> str | None:
    """Why `name` is not a good name for a stream of `upstream`, or None when it is."""
    prefix = f"{upstream}."
    if not name.startswith(prefix) or not _PART.fullmatch(name[len(prefix) :]):
        return (
            f"stream name {name!r} is not <upstream>.<collection> for upstream {upstream!r} "
            f"(lower case letters, digits, '_' and '-', parts joined by dots: {prefix}<collection>)"
        )
    if len(name) > MAX_LENGTH:
        return f"stream name {name!r} is longer than {MAX_LENGTH} characters"
    return None


def renamed_to(name: str) -> str | None:
    """The current name of a stream that used to be called `name`, or None."""
    return FORMER.get(name)
