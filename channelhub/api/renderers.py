"""JSON rendering that passes stored Connect JSON through without decoding it."""

from __future__ import annotations

import orjson
from rest_framework.renderers import JSONRenderer


class RawJSONList(list):
    """A list of already-encoded JSON documents (str), rendered as one JSON array."""


class RawJSON(str):
    """One already-encoded JSON document."""


class PassThroughJSONRenderer(JSONRenderer):
    """`JSONRenderer` that splices `RawJSON`/`RawJSONList` into the body as they are.

    A page of 100 fulfillment requests is megabytes of JSON that the database already holds
    as text: decoding it into Python and encoding it again would cost several times the
    query. The browsable API asks for an indent: then (and only then) it is re-encoded.
    """

    def render(self, data, accepted_media_type=None, renderer_context=None):
        """Raw JSON as it is (re-encoded only when an indent is asked for); anything else as DRF does."""
        if isinstance(data, RawJSONList | RawJSON):
            body = data.encode() if isinstance(data, RawJSON) else ("[" + ",".join(data) + "]").encode()
            if self.get_indent(accepted_media_type, renderer_context or {}):
                return orjson.dumps(orjson.loads(body), option=orjson.OPT_INDENT_2)
            return body
        return super().render(data, accepted_media_type, renderer_context)
