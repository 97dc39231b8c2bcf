"""Reads and writes of Channel rows: the row id is the resource name (or the change key) rather
than a `doc["id"]`, so these helpers sit beside Session's Connect-shaped ones."""

from __future__ import annotations

import json

from ..common import dumps
from ..store import Collection, Session
from . import collections as c
from .wire import micros


def row(coll: Collection, ident: str, doc: dict, **extra) -> tuple:
    """A prepared row for Session.insert_raw (the seed's bulk path) or put()."""
    return (ident, *coll.extract(doc, extra), dumps(doc))


def put(session: Session, coll: Collection, ident: str, doc: dict, **extra) -> None:
    """Insert or replace one row, keyed by `ident` (a resource name or a change key)."""
    names = ["id", *coll.column_names, "doc"]
    sql = f"INSERT OR REPLACE INTO {coll.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
    session.conn.execute(sql, row(coll, ident, doc, **extra))


def get(session: Session, coll: Collection, ident: str) -> dict | None:
    """One document by its row id, or None."""
    return session.get(coll.name, ident)


def delete(session: Session, coll: Collection, ident: str) -> None:
    """Remove one row."""
    session.delete(coll.name, ident)


def docs(session: Session, coll: Collection, where: str = "1", params: tuple = ()) -> list[dict]:
    """Every document matching a SQL condition, in row-id order."""
    sql = f"SELECT doc FROM {coll.name} WHERE {where} ORDER BY id"
    return [json.loads(r[0]) for r in session.conn.execute(sql, params)]


def next_seq(session: Session) -> int:
    """A state-wide counter (kept in meta), e.g. to order changes made in the same microsecond."""
    meta = session.meta("channel", {})
    seq = int(meta.get("seq", 0)) + 1
    meta["seq"] = seq
    session.conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", ("channel", dumps(meta)))
    return seq


def change_key(create_time: str, seq: int) -> str:
    """The row id of an entitlement change: its create time in microseconds and a sequence number, so ids sort
    in time order."""
    return f"{micros(create_time):020d}-{seq:09d}"


def customer_of(name: str) -> str:
    """`accounts/A/customers/C/entitlements/E` -> `accounts/A/customers/C`."""
    return name.split("/entitlements/")[0]


def put_entitlement(session: Session, doc: dict) -> None:
    """Store an entitlement with its customer and SKU columns (the SKU read from its offer)."""
    sku = session.scalar(f"SELECT sku FROM {c.OFFERS.name} WHERE id = ?", (doc["offer"],))
    put(session, c.ENTITLEMENTS, doc["name"], doc, customer=customer_of(doc["name"]), sku=sku)


def add_change(session: Session, change: dict) -> str:
    """Append an EntitlementChange to the history; returns its row id."""
    key = change_key(change["createTime"], next_seq(session))
    put(session, c.CHANGES, key, change, customer=customer_of(change["entitlement"]))
    return key
