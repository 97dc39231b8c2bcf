"""The usage collections as sandbox tables (`usage_*`, beside Connect's in the shared store).

- `usage_files`: the documents as `/usage/files` lists them (no file links: those are added to
  the detail only); extra column `due` = wall-clock seconds at which a live upload's system step
  completes (NULL for seeded files, which only `tick` moves, so reads keep the seed byte-identical).
- `usage_records`: Connect's records; extra column `hub_id` (the hub of the record's asset),
  filtered as `hub.id` / `part_usage_file__hub__id`. The record's `id` is extracted into its own
  column, `ident` (a copy of the primary key): the store's compiler reads a property without a
  column through `json_extract(doc, '$.id')`, so `gt(id,...)&ordering(id)`, the keyset a file's
  records are pulled by, parsed and sorted every record of the file on every page (0.2 s a page
  for a file of 20k records; about 1.5 s for one of 100k, whose pull took 157 s). With the column
  and the index (usagefile_id, ident) a page is one index range, sorted already.
- `usage_chunks`: per-hub slices of an accepted file, for the provider.
- `usage_uploads`: one row per file: the uploaded workbook (base64) and what processing found
  (records to create, or the rows' errors), kept for the downloads.
"""

from __future__ import annotations

from channelhub.sandbox.store import Collection

EVENTS = {"events.created.at": "created"}


def _hub_filter(compiler, op, prop, value):
    """`hub.id` (and Connect's `part_usage_file__hub__id`) compare the record's asset hub."""
    if prop not in ("hub.id", "part_usage_file__hub__id"):
        return None
    if op in ("like", "ilike"):
        return compiler._like("hub_id", op, value)  # noqa: SLF001 - the compiler's own helpers, as Connect's collections use them
    if op in ("eq", "ne"):
        return compiler._compare("hub_id", op, value)  # noqa: SLF001 - see above
    return None


USAGE_FILES = Collection(
    name="usage_files",
    columns={
        **EVENTS,
        "status": "status",
        "product.id": "product_id",
        "contract.id": "contract_id",
        "marketplace.id": "marketplace_id",
        "vendor.id": "vendor_id",
        "provider.id": "provider_id",
        "environment": "environment",
        "schema": "schema",
        "name": "name",
        "external_id": "external_id",
        "period.from": "period_from",
    },
    extra_columns=("due",),
    aliases={
        "created": "events.created.at",
        "created.at": "events.created.at",
        "product_id": "product.id",
        "marketplace_id": "marketplace.id",
        "provider_id": "provider.id",
        "vendor_id": "vendor.id",
        "distribution_contract_id": "contract.id",
    },
    search_fields=("id", "name", "external_id", "product.name"),
    indexes=(("status", "created", "id"), ("product_id",), ("contract_id",), ("external_id",), ("due",)),
)

USAGE_RECORDS = Collection(
    name="usage_records",
    columns={
        "id": "ident",
        "usagefile.id": "usagefile_id",
        "status": "status",
        "asset.id": "asset_id",
        "product_id": "product_id",
        "item.id": "item_id",
        "start_date": "start_date",
        "end_date": "end_date",
        "usagefile.schema": "schema",
        "external_billing_id": "external_billing_id",
    },
    extra_columns=("hub_id",),
    aliases={
        "usage_file": "usagefile.id",
        "usage_file.id": "usagefile.id",
        "asset_id": "asset.id",
        "product.id": "product_id",
        "item_id": "item.id",
        "usage_start_time": "start_date",
    },
    search_fields=("id", "asset.id", "item.mpn", "item.id"),
    default_ordering=("start_date",),
    range_columns=frozenset({"start_date", "end_date"}),
    indexes=(
        ("usagefile_id", "ident"),
        ("usagefile_id", "start_date", "id"),
        ("asset_id",),
        ("status",),
        ("hub_id",),
    ),
    special=_hub_filter,
)

USAGE_CHUNKS = Collection(
    name="usage_chunks",
    columns={
        **EVENTS,
        "status": "status",
        "usagefile.id": "usagefile_id",
        "provider.id": "provider_id",
        "binding.hub.id": "hub_id",
        "external_id": "external_id",
    },
    aliases={"created": "events.created.at", "usage_file": "usagefile.id"},
    search_fields=("id", "usagefile.id", "external_id"),
    indexes=(("usagefile_id",), ("status",)),
)

USAGE_UPLOADS = Collection(name="usage_uploads", columns={}, default_ordering=("id",))

ALL = [USAGE_FILES, USAGE_RECORDS, USAGE_CHUNKS, USAGE_UPLOADS]
