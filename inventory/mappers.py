"""nflex serialized resources -> Resource rows and their child rows (metadata, IP addresses,
connections). Built on `channelhub.sync.coerce`: whatever a connector returns, a mapper
never raises (validation of the envelope, id/type/base, is the reader's).

The payload stored (and hashed, for the change-only upsert) is the resource without
`base.last_seen_at`: nflex stamps it at every `serialize()` call, so it would make every
resource look changed on every pass. When a source last saw a resource is the source's pass
(`Resource.seen_at`), not that stamp.
"""

from __future__ import annotations

import hashlib

import orjson

from channelhub.sync.coerce import as_dict, as_int, as_list, parse_time, text
from channelhub.sync.streams import Row

from .models import Resource

# connections keys that name a resource type in the plural (nflex's Connections.add(servers=...)
# writes the singular; a `type='servers'` call writes this key verbatim)
_SINGULAR = {"servers": "server", "volumes": "volume", "networks": "network", "appliances": "appliance"}
_STATE_OF_ACTIVE = {True: "active", False: "inactive"}


def stable(resource: dict) -> dict:
    """The resource without its per-serialization stamp (`base.last_seen_at`)."""
    base = resource.get("base")
    if isinstance(base, dict) and "last_seen_at" in base:
        resource = {**resource, "base": {k: v for k, v in base.items() if k != "last_seen_at"}}
    return resource


def _bool(value) -> bool | None:
    return value if isinstance(value, bool) else None


def _locations(base: dict) -> tuple[list, str, str, str]:
    """(locations as given, region, country, location in words)."""
    levels = [loc for loc in as_list(base.get("locations")) if isinstance(loc, dict)]
    if levels:
        first = levels[0]

        def name(level: str) -> str:
            part = as_dict(first.get(level))
            return text(part.get("name") or part.get("id"))

        where = ", ".join(p for p in (name("location"), name("city"), name("country")) if p)
        return levels, name("region")[:128], name("country")[:128], where[:255]
    regions = [r for r in as_list(base.get("regions")) if isinstance(r, dict)]
    region = text(regions[0].get("id") or regions[0].get("name"), 128) if regions else ""
    return regions, region, "", region


def _image(image) -> str:
    image = as_dict(image)
    words = " ".join(text(image.get(k)) for k in ("name", "version") if image.get(k))
    return (words or text(image.get("id")))[:255]


def _typed(type_: str, details: dict) -> dict:
    """The columns of the type's details that staff filter on."""
    fields: dict = {}
    if type_ == "server":
        fields.update(
            state=text(details.get("state"), 32),
            provider_state=text(details.get("provider_state"), 64),
            cpu_cores=_positive(details.get("cpu_cores")),
            cpu_hz=as_int(details.get("cpu_hz")),
            ram_b=as_int(details.get("ram_b")),
            instance_type=text(details.get("instance_type"), 128),
            image=_image(details.get("image_detail")),
            is_virtual=_bool(details.get("is_virtual")),
        )
    elif type_ == "volume":
        fields.update(
            size_b=as_int(details.get("size_b")),
            zone=text(details.get("zone_name"), 128),
            encrypted=_bool(details.get("encrypted")),
            iops=as_int(details.get("iops")),
        )
    elif type_ == "saas_user":
        fields["state"] = _STATE_OF_ACTIVE.get(_bool(details.get("is_active")), "")
    elif type_ == "compute_pool":
        fields.update(cpu_hz=as_int(details.get("cpu_hz")), ram_b=as_int(details.get("memory_b")))
        fields["size_b"] = as_int(details.get("storage_b"))
    if "type_id" in details:
        fields["type_id"] = text(details.get("type_id"), 128)
    return fields


def _positive(value) -> int | None:
    number = as_int(value)
    return number if number is not None and number >= 0 else None


def map_resource(resource: dict, *, source_id: int, account: str = "", now=None) -> Row:
    """One serialized resource as a Resource row (its key, columns, stable payload)."""
    payload = stable(resource)
    type_ = text(payload.get("type"), 32)
    upstream_id = payload["id"]
    base = as_dict(payload.get("base"))
    details = as_dict(as_dict(payload.get("details")).get(type_))
    locations, region, country, where = _locations(base)
    link = base.get("native_portal_link")
    fields = {
        "source_id": source_id,
        "upstream_id": upstream_id,
        "type": type_,
        "name": text(base.get("name")),
        "account": text(payload.get("account_id") or base.get("account") or account),
        "region": region,
        "country": country,
        "location": where,
        "locations": locations,
        "provider_created_at": parse_time(base.get("provider_created_at")),
        "native_portal_link": link if isinstance(link, str) else "",
        "base": base,
        "details": details,
        "gone_at": None,
        "gone_reason": "",
        **_typed(type_, details),
    }
    if now is not None:
        fields["last_seen_at"] = now
        fields["first_seen_at"] = now
    return Resource.key(source_id, type_, upstream_id), fields, payload


def _child_key(parent: str, tag: str, *parts) -> str:
    digest = hashlib.md5(orjson.dumps(parts, default=str), usedforsecurity=False).hexdigest()[:16]
    return f"{parent}|{tag}|{digest}"


def metadata_rows(parent: str, payload: dict) -> list[Row]:
    """nflex `metadata` ({namespace: {key: value}}) as ResourceMetadata rows."""
    rows = []
    for namespace, values in as_dict(payload.get("metadata")).items():
        for key, value in as_dict(values).items():
            shown = value if isinstance(value, str) else orjson.dumps(value, default=str).decode()
            fields = {
                "resource_id": parent,
                "namespace": text(namespace, 64),
                "key": text(key),
                "value": value,
                "value_text": text(shown),
            }
            rows.append(
                (_child_key(parent, "m", namespace, key), fields, {"ns": namespace, "k": key, "v": value})
            )
    return rows


def address_rows(parent: str, payload: dict) -> list[Row]:
    """A server's `ip_addresses` as ResourceAddress rows (an entry without an address is kept
    only if it says something)."""
    type_ = payload.get("type")
    details = as_dict(as_dict(payload.get("details")).get(type_))
    rows = []
    for n, entry in enumerate(as_list(details.get("ip_addresses"))):
        if not isinstance(entry, dict) or not entry:
            continue
        network = as_dict(entry.get("network"))
        fields = {
            "resource_id": parent,
            "ip_address": text(entry.get("ip_address"), 64),
            "network_id": text(network.get("id")),
            "network_name": text(network.get("name")),
            "description": text(entry.get("description")),
        }
        rows.append((_child_key(parent, "ip", n, entry), fields, entry))
    return rows


def connection_rows(parent: str, payload: dict, *, source_id: int) -> list[Row]:
    """nflex `connections` ({type: [{"id": ...}]}) as ResourceConnection rows; duplicates
    are folded, `any` items and bare ids are taken as they come, the rest skipped."""
    rows: dict[str, Row] = {}
    for kind, targets in as_dict(payload.get("connections")).items():
        target_type = _SINGULAR.get(kind, kind)
        for target in as_list(targets):
            target_id = target.get("id") if isinstance(target, dict) else target
            if not isinstance(target_id, str | int) or isinstance(target_id, bool) or target_id == "":
                continue
            target_id = str(target_id)
            fields = {
                "resource_id": parent,
                "kind": text(kind, 32),
                "target_type": text(target_type, 32),
                "target_upstream_id": target_id,
                "target_key": Resource.key(source_id, text(target_type, 32), target_id),
            }
            key = _child_key(parent, "c", kind, target_id)
            rows[key] = (key, fields, {"kind": kind, "id": target_id})
    return list(rows.values())
