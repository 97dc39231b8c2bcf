"""Test-only streams for the engine, over real models (the `register` fixture, in conftest,
puts one in the registry)."""

from __future__ import annotations

from collections.abc import Iterator

from channelhub.sync.reconcile import ReconcilingStream
from channelhub.sync.streams import Batch, Row, RunContext, Stream
from fulfillment.models import ChannelProduct


class Killed(BaseException):
    """What a worker killed mid-run looks like from inside: not an Exception, nothing handles it."""


class InMemoryStream(Stream):
    """A stream whose upstream is a list in the test: configured, no client."""

    upstream = "test"

    def is_configured(self) -> bool:
        return True

    def client(self):
        return None


class ListedProducts(ReconcilingStream, InMemoryStream):
    """Channel products "listed" from `self.listing` ({pk: display name}), `page` rows a page;
    `fail_at` makes the page of that index raise `fail_with` instead."""

    name = "test.listed_products"
    model = ChannelProduct

    def __init__(self, page: int = 3):
        self.page = page
        self.listing: dict[str, str] = {}
        self.fail_at: int | None = None
        self.fail_with: BaseException = RuntimeError("the upstream went away")

    def batches(self, ctx: RunContext) -> Iterator[Batch]:
        keys = sorted(self.listing)
        for index, start in enumerate(range(0, len(keys), self.page)):
            if index == self.fail_at:
                raise self.fail_with
            rows: list[Row] = [
                (pk, {"display_name": self.listing[pk]}, {"name": pk, "displayName": self.listing[pk]})
                for pk in keys[start : start + self.page]
            ]
            yield Batch(writes=[(ChannelProduct, rows)], fetched=len(rows))
