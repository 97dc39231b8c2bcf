"""The JSON documents of the usage API: usage files (`UsageFileDetail` without the links, which
only the detail adds), usage records (as in the `usage_record.json` fixture) and chunks
(`PartUsageFile`); their counters, recomputed from the records."""

from __future__ import annotations

import random
from datetime import datetime
from decimal import Decimal

from channelhub.sandbox.common import id_groups

from . import world as w

FILE_STATUSES = (
    "draft",
    "uploading",
    "uploaded",
    "invalid",
    "processing",
    "ready",
    "rejected",
    "pending",
    "accepted",
    "closed",
    "deleted",
)
RECORD_STATUSES = ("valid", "invalid", "approved", "rejected", "closed")
_rng = random.SystemRandom()


def number(value: Decimal | None):
    """A Decimal as the JSON number Connect sends (an int when integral); None stays None. Only at the
    JSON boundary: the value was parsed and checked as a Decimal."""
    if value is None:
        return None
    if value == value.to_integral_value():
        return int(value)
    return float(value)  # JSON has no decimal type; the shortest repr keeps the digits written


def file_id(session, when: str, rng=_rng) -> str:
    """A fresh `UF-YYYY-MM-XXXX-XXXX` (the month of `when`) that no file has yet."""
    while True:
        ident = f"UF-{when[:7]}-{id_groups(rng, 4, 4)}"
        if session.get_raw("usage_files", ident) is None:
            return ident


def record_id(file_ident: str, n: int) -> str:
    """The id of the n-th record of a file: `UR-YYYY-MM-XXXX-XXXX-NNNN` (unique with the file's)."""
    return f"UR-{file_ident.removeprefix('UF-')}-{n:04d}"


def chunk_id(file_ident: str, n: int) -> str:
    """The id of the n-th chunk (hub slice) of a file."""
    return f"UFC-{file_ident.removeprefix('UF-')}-{n:03d}"


def file_doc(
    *, ident, body: dict, product: dict, marketplace: dict, world: dict, environment: str, when: str, by: dict
) -> dict:
    """A new usage file (`draft`) for a create body, with its parties derived from the product and contract."""
    pid = product["id"]
    return {
        "id": ident,
        "name": body.get("name", ""),
        "description": body.get("description") or "",
        "note": body.get("note") or "",
        "external_id": body.get("external_id") or "",
        "status": "draft",
        "sub_status": None,
        "environment": environment,
        "schema": w.schema_of(pid),
        "currency": body.get("currency") or marketplace.get("currency", ""),
        "period": body.get("period"),
        "product": {"id": pid, "name": product["name"], "icon": product.get("icon", "")},
        "contract": {"id": marketplace["contract"]["id"], "name": marketplace["contract"]["name"]},
        "marketplace": dict(marketplace["ref"]),
        "vendor": w.account_ref(product["vendor"]),
        "provider": w.account_ref(world["provider"]),
        "acceptance_note": "",
        "rejection_note": "",
        "error_detail": "",
        "error_details": "",
        "stats": {"uploaded": 0, "validated": 0, "pending": 0, "accepted": 0, "closed": 0, "billed": 0},
        "records": {"valid": 0, "invalid": 0, "closed": 0},
        "events": {"created": {"at": when, "by": by}},
    }


def environment_for(session, product: dict, contract_id: str) -> str:
    """The file's environment: the connection type of the product's first asset under the contract,
    else of the product's first connection."""
    assets = w.assets_of(session, product["id"], contract_id)
    if assets:
        return assets[0]["connection"]["type"]
    connections = product.get("connections") or [{"type": "production"}]
    return connections[0]["type"]


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def record_doc(doc: dict, ident: str, fields: dict, status: str = "valid") -> dict:
    """A usage record of file `doc` from a checked row's fields (workbook.check or the seed)."""
    item, asset = fields["item"], fields["asset"]
    usage = fields["quantity"] if fields["quantity"] is not None else fields["amount"]
    category = fields.get("category")
    record = {
        "id": ident,
        "record_id": fields["record_id"],
        "record_note": fields.get("record_note", ""),
        "start_date": _stamp(fields["start"]),
        "end_date": _stamp(fields["end"]),
        "product_id": doc["product"]["id"],
        "item": {
            "id": item["id"],
            "local_id": item.get("local_id") or item["id"],
            "global_id": item.get("global_id", ""),
            "mpn": item.get("mpn", ""),
            "name": item.get("display_name") or item.get("name", ""),
            "unit": (item.get("unit") or {}).get("name", ""),
            "precision": item.get("precision", "integer"),
            "type": item.get("item_type", "PPU"),
        },
        "asset": {
            "id": asset["id"],
            "external_id": asset.get("external_id", ""),
            "external_uid": asset.get("external_uid", ""),
            "recon_id": fields.get("asset_recon_id", ""),
        },
        "tier": fields.get("tier"),
        "amount": number(fields["amount"]),
        "multiplier": 1,
        "usage": number(usage) if usage is not None else 0,
        "status": status,
        "params": fields.get("params", []),
        "item_id": item["id"],
        "asset_id": asset["id"],
        "usagefile": {
            "id": doc["id"],
            "name": doc["name"],
            "schema": doc["schema"],
            "currency": doc["currency"],
        },
        "resource_local_id": item.get("local_id") or item["id"],
        "asset_external_id": asset.get("external_id", ""),
        "asset_external_uid": asset.get("external_uid", ""),
        "external_billing_id": "",
        "external_billing_note": "",
        "closed_at": None,
        "closed_by": None,
    }
    if category:  # the fixture's {id, name}; left out when the row has none
        record["category"] = {"id": category["id"], "name": category["name"]}
    return record


def recount(session, doc: dict) -> dict:
    """Set the file's `stats` and `records` counters from its stored records."""
    rows = session.conn.execute(
        "SELECT status, COALESCE(external_billing_id, '') <> '' FROM usage_records WHERE usagefile_id = ?",
        (doc["id"],),
    ).fetchall()
    return tally(doc, rows)


def tally(doc: dict, records) -> dict:
    """Set the file's counters from (status, has billing id) pairs of its records. A file without records
    keeps its `records.invalid` (the bad rows processing found) and `stats.uploaded`."""
    by: dict[str, int] = {}
    billed = 0
    for status, has_billing_id in records:
        by[status] = by.get(status, 0) + 1
        billed += bool(has_billing_id)
    total = sum(by.values())
    if not total:
        doc["stats"] = {
            **doc.get("stats", {}),
            "validated": 0,
            "pending": 0,
            "accepted": 0,
            "closed": 0,
            "billed": 0,
        }
        doc["stats"].setdefault("uploaded", 0)
        doc["records"] = {"valid": 0, "invalid": doc.get("records", {}).get("invalid", 0), "closed": 0}
        return doc
    valid = total - by.get("invalid", 0)
    doc["stats"] = {
        "uploaded": total,
        "validated": valid,
        "pending": by.get("valid", 0) if doc["status"] == "pending" else 0,
        "accepted": by.get("approved", 0) + by.get("closed", 0),
        "closed": by.get("closed", 0),
        "billed": billed,
    }
    doc["records"] = {"valid": valid, "invalid": by.get("invalid", 0), "closed": by.get("closed", 0)}
    return doc


def chunk_doc(doc: dict, ident: str, hub: dict, records: int, when: str, by: dict) -> dict:
    """The provider's slice of accepted file `doc` for one hub (`ready`)."""
    return {
        "id": ident,
        "status": "ready",
        "outdated": False,
        "usagefile": {
            "id": doc["id"],
            "name": doc["name"],
            "schema": doc["schema"],
            "currency": doc["currency"],
        },
        "binding": {"hub": {"id": hub.get("id", ""), "name": hub.get("name", "")}, "external_id": ""},
        "marketplace": dict(doc["marketplace"]),
        "provider": dict(doc["provider"]),
        "error": {"detail": ""},
        "events": {"created": {"at": when, "by": by}},
        "stats": {
            "uploaded": records,
            "validated": records,
            "pending": 0,
            "accepted": records,
            "closed": 0,
            "billed": 0,
        },
        "external_id": "",
        "external_billing_id": "",
        "external_billing_note": "",
    }
