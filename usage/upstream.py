"""The typed Connect usage and billing calls: every path the usage app reads or writes.

`UsageClient` wraps `channelhub.upstream.connect.ConnectClient` (HTTP, timeouts, retries,
Connect's error body, paging); no other module of the usage app builds a path. Writes are
never retried once they may have reached Connect (the client's rule): the outbox's executors
(usage.executors) decide whether an earlier attempt already applied them.

Paths and bodies are Connect's (connect-api.md §2.4, usage-automation-inventory.md A1):
files answer their actions with the file, the upload as Connect answered the SDKs (201), the
bulk `close-records` with 206 and one result per record.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable, Iterator
from decimal import Decimal

from channelhub.upstream import rql
from channelhub.upstream.connect import ConnectClient

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UPLOAD_FIELD = "usage_file"
UPLOAD_FILENAME = "usage_file.xlsx"
FILE_VERBS = frozenset({"submit", "accept", "reject", "close", "delete", "reprocess"})


def _seg(ident) -> str:
    """An id as one path segment (nothing in it can reach another path)."""
    return urllib.parse.quote(str(ident), safe="")


def json_number(value):
    """A Decimal as a JSON number without going through float: an int when integral, else
    its exact text (Connect reads a numeric string where it types a number)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    return value


class UsageClient:
    """Connect's usage files, records, chunks, templates, and billing requests."""

    def __init__(self, connect: ConnectClient):
        self.connect = connect

    @classmethod
    def from_settings(cls) -> UsageClient:
        """A client on the CONNECT_* settings."""
        return cls(ConnectClient.from_settings())

    # --- usage files -----------------------------------------------------------------------

    def get_file(self, file_id: str) -> dict:
        """GET /usage/files/{id}: a usage file (`UF-…`), with its signed file links."""
        return self.connect.get(f"/usage/files/{_seg(file_id)}")

    def find_file_by_external_id(self, external_id: str, *, include_deleted: bool = False) -> dict | None:
        """The file our report created (its `external_id`), or None. A deleted one is not
        found unless asked: deleting a file frees its report to be sent again."""
        filters = rql.eq("external_id", external_id)
        if not include_deleted:
            filters = rql.and_(filters, rql.ne("status", "deleted"))
        page = self.connect.list_page("/usage/files", filters=filters, ordering=("-created",), limit=10)
        return page.items[0] if page.items else None

    def create_file(self, body: dict) -> dict:
        """POST /usage/files/: a new file in `draft` (201). Not idempotent: the caller looks
        it up by external_id first. With the trailing slash, as the SDKs post it: the path
        then differs from the list's, so a fault can be aimed at the create alone."""
        return self.connect.post("/usage/files/", body)

    def update_file(self, file_id: str, body: dict) -> dict:
        """PUT /usage/files/{id} (description, note, period, currency, external_id)."""
        return self.connect.put(f"/usage/files/{_seg(file_id)}", body)

    def upload_file(self, file_id: str, content: bytes) -> dict:
        """POST /usage/files/{id}/upload: the workbook as multipart field `usage_file`."""
        return self.connect.post_file(
            f"/usage/files/{_seg(file_id)}/upload",
            field=UPLOAD_FIELD,
            filename=UPLOAD_FILENAME,
            content=content,
            content_type=XLSX,
        )

    def file_action(self, file_id: str, verb: str, body: dict | None = None) -> dict:
        """POST /usage/files/{id}/{verb}: submit, accept, reject, close, delete, reprocess."""
        if verb not in FILE_VERBS:
            raise ValueError(f"{verb!r} is not a usage file action")
        return self.connect.post(f"/usage/files/{_seg(file_id)}/{verb}", body if body is not None else {})

    def categories(self, file_id: str) -> list[dict]:
        """GET /usage/files/{id}/categories: the file's categories (`[{id,name,description}]`)."""
        return self.connect.list_page(f"/usage/files/{_seg(file_id)}/categories", limit=1000).items

    def template_link(self, product_id: str) -> str:
        """GET /usage/products/{id}/template: the link to the product's template workbook."""
        return self.connect.get(f"/usage/products/{_seg(product_id)}/template")["template_link"]

    def download_template(self, product_id: str) -> bytes:
        """The product's template workbook (its link, then the link's bytes)."""
        return self.connect.download(self.template_link(product_id))

    # --- usage records ---------------------------------------------------------------------

    def get_record(self, record_id: str) -> dict:
        """GET /usage/records/{id}: one usage record (`UR-…`)."""
        return self.connect.get(f"/usage/records/{_seg(record_id)}")

    def records(self, *, file_id: str, ids: Iterable[str] = (), status: str = "") -> Iterator[dict]:
        """The records of a file (those of `ids`, of `status`), all pages."""
        filters = rql.and_(
            rql.eq("usage_file", file_id),
            rql.in_("id", ids) if ids else "",
            rql.eq("status", status) if status else "",
        )
        return self.connect.iter_all("/usage/records", filters=filters, ordering=("id",), limit=500)

    def close_record(self, record_id: str, *, billing_id: str, note: str = "") -> dict:
        """POST /usage/records/{id}/close with its external billing id and note: the record."""
        body = {"external_billing_id": billing_id, "external_billing_note": note}
        return self.connect.post(f"/usage/records/{_seg(record_id)}/close", body)

    def close_records(self, items: Iterable[dict]) -> list[dict]:
        """POST /usage/records/close-records (`[{id, external_billing_id, external_billing_note}]`):
        Connect answers 206 with one result per record (`{id, status, error_codes,
        error_details}`), returned as they came: some may close while others do not."""
        body = [
            {
                "id": item["id"],
                "external_billing_id": item["external_billing_id"],
                "external_billing_note": item.get("external_billing_note", ""),
            }
            for item in items
        ]
        return list(self.connect.post("/usage/records/close-records", body) or [])

    # --- chunks (the provider's per-hub slices) ---------------------------------------------

    def get_chunk(self, chunk_id: str) -> dict:
        """GET /usage/chunks/{id}: a chunk of a file."""
        return self.connect.get(f"/usage/chunks/{_seg(chunk_id)}")

    def close_chunk(self, chunk_id: str, *, billing_id: str, note: str = "") -> dict:
        """POST /usage/chunks/{id}/close with its external billing id: the chunk."""
        body = {"external_billing_id": billing_id, "external_billing_note": note}
        return self.connect.post(f"/usage/chunks/{_seg(chunk_id)}/close", body)

    # --- billing requests (/subscriptions/requests) -----------------------------------------

    def get_billing_request(self, billing_request_id: str) -> dict:
        """GET /subscriptions/requests/{id}: a billing request (`BRV-…`/`BRP-…`)."""
        return self.connect.get(f"/subscriptions/requests/{_seg(billing_request_id)}")

    def find_billing_request(self, *, asset_id: str, period_from: str, type: str) -> dict | None:  # noqa: A002 - Connect's name
        """The billing request of an asset for the period starting `period_from`, of `type`,
        or None: a create whose answer was lost is found by it."""
        filters = rql.and_(
            rql.eq("asset.id", asset_id), rql.eq("period.from", period_from), rql.eq("type", type)
        )
        page = self.connect.list_page("/subscriptions/requests", filters=filters, limit=10)
        return page.items[0] if page.items else None

    def create_billing_request(self, body: dict) -> dict:
        """POST /subscriptions/requests (`NewBillingRequest`): the new billing request. Not
        idempotent: the caller looks for it first (the trailing slash as for files: a path of
        its own). Decimal text (the period's length, item quantities) goes as JSON numbers."""
        body = {**body}
        if body.get("period_delta") is not None:
            body["period_delta"] = json_number(Decimal(str(body["period_delta"])))
        body["items"] = [
            {**item, "quantity": json_number(Decimal(str(item["quantity"])))}
            if item.get("quantity") not in (None, "")
            else item
            for item in body.get("items") or []
        ]
        return self.connect.post("/subscriptions/requests/", body)

    def update_billing_request_attributes(self, billing_request_id: str, attributes: dict) -> dict:
        """PUT /subscriptions/requests/{id}/attributes (`{vendor: {...}, provider: {...}}`):
        the attributes as they are now (setting them twice is setting them once)."""
        return self.connect.put(f"/subscriptions/requests/{_seg(billing_request_id)}/attributes", attributes)
