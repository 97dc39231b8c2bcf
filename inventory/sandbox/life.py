"""The CMP feed's life (`/_sandbox/tick`, `--live`, the `appear`/`change`/`vanish` knobs and the
`churn` fault): resources appear, change and vanish, per account, drawing only from the RNG given.

A change touches one thing of one resource (a server's state, a name, a metadata value, an IP
address) and nothing else: every other resource's stored document stays byte-identical. Vanishing
never takes the account resource nor the last resource of a type, so every type stays present.
New resources take the next number of their type in their account (ids are never reused) and are
created now (wall clock), like every live change of the sandbox.
"""

from __future__ import annotations

import json

from . import world
from .seed import WEIGHTS
from .state import resource_key, resource_row

CHANGE_KINDS = ("name", "metadata")
SERVER_CHANGE_KINDS = ("state", "state", "name", "metadata", "ip")


def account_ids(session) -> list[str]:
    """Every account id, in order."""
    return session.ids("cmp_accounts")


def account_profile(session, account: str) -> dict | None:
    """The account's seeding profile (name, prefix, provider, domain), or None if unknown."""
    doc = session.get("cmp_accounts", account)
    return doc["profile"] if doc else None


def docs_of(session, account: str, rtype: str | None = None) -> list[dict]:
    """An account's resources (of one type if given), in listing order."""
    sql = "SELECT doc FROM cmp_resources WHERE account = ?"
    params: tuple = (account,)
    if rtype is not None:
        sql += " AND rtype = ?"
        params = (account, rtype)
    return [json.loads(row[0]) for row in session.conn.execute(sql + " ORDER BY rtype, rid", params)]


def _save(session, account: str, doc: dict) -> None:
    session.conn.execute(
        "UPDATE cmp_resources SET doc = ? WHERE id = ?",
        (resource_row(account, doc)[-1], resource_key(account, doc["type"], doc["id"])),
    )


def _next_number(session, account: str, rtype: str) -> int:
    meta = session.meta("cmp", {})
    seq = meta.setdefault("next", {}).setdefault(account, {})
    number = seq.get(rtype, 1)
    seq[rtype] = number + 1
    session.set_meta("cmp", meta)
    return number


def appear(session, rng, account: str, count: int, rtype: str | None = None) -> list[dict]:
    """`count` new resources in `account` (of `rtype`, else types drawn by the seed's weights)."""
    profile = account_profile(session, account)
    out = []
    for _ in range(count):
        kind = rtype or rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
        number = _next_number(session, account, kind)
        rid = world.rid_for(kind, number)
        if kind == "server":
            networks = docs_of(session, account, "network")[:1]
            doc = world.build_server(rng, profile, rid, number, networks, [], False)
        elif kind == "appliance":
            doc = world.build_appliance(
                rng, profile, rid, number, docs_of(session, account, "network")[:1], False
            )
        else:
            doc = world.SIMPLE_BUILDERS[kind](rng, profile, rid, number)
        doc["base"]["provider_created_at"] = world.now_stamp()
        session.insert_raw("cmp_resources", [resource_row(account, doc)])
        out.append({"account": account, "type": kind, "id": rid})
    return out


def _change_one(rng, profile: dict, doc: dict) -> str:
    before = json.dumps(doc)
    kind = _apply_change(rng, profile, doc)
    if json.dumps(doc) == before:  # the draw gave the same value back: a change must show
        doc["base"]["name"] += "~"
        kind = "name"
    return kind


def _apply_change(rng, profile: dict, doc: dict) -> str:
    kinds = SERVER_CHANGE_KINDS if doc["type"] == "server" else CHANGE_KINDS
    kind = rng.choice(kinds)
    if kind == "state":
        details = doc["details"]["server"]
        details["state"] = "stopped" if details["state"] == "running" else "running"
        details["provider_state"] = world.PROVIDER_STATES[profile["provider"]][details["state"]]
    elif kind == "ip" and doc["details"]["server"]["ip_addresses"]:
        first = doc["details"]["server"]["ip_addresses"][0]
        first["ip_address"] = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    elif kind == "metadata":
        default = doc["metadata"].setdefault("default", {})
        default["owner"] = f"{rng.choice(world.OWNERS)}.{rng.randrange(100)}@{profile['domain']}"
    else:
        kind = "name"
        doc["base"]["name"] = f"{doc['base']['name'].split('~')[0]}~{rng.randrange(1000)}"
    return kind


def change(session, rng, account: str, count: int) -> list[dict]:
    """`count` resources of `account` (not the account resource) each change one thing."""
    profile = account_profile(session, account)
    candidates = [d for d in docs_of(session, account) if d["type"] != "account"]
    out = []
    for doc in rng.sample(candidates, min(count, len(candidates))):
        kind = _change_one(rng, profile, doc)
        _save(session, account, doc)
        out.append({"account": account, "type": doc["type"], "id": doc["id"], "change": kind})
    return out


def vanish(session, rng, account: str, count: int) -> list[dict]:
    """Up to `count` resources of `account` vanish (never the account resource nor a type's last one)."""
    rows = session.conn.execute(
        "SELECT rtype, rid FROM cmp_resources WHERE account = ? AND rtype != 'account' ORDER BY rtype, rid",
        (account,),
    ).fetchall()
    left: dict[str, list[str]] = {}
    for rtype, rid in rows:
        left.setdefault(rtype, []).append(rid)
    out = []
    for _ in range(count):
        choices = [(rtype, rid) for rtype, rids in left.items() if len(rids) > 1 for rid in rids]
        if not choices:
            break
        rtype, rid = rng.choice(choices)
        left[rtype].remove(rid)
        session.delete("cmp_resources", resource_key(account, rtype, rid))
        out.append({"account": account, "type": rtype, "id": rid})
    return out


def tick(session, rng) -> dict:
    """One step of life in every account: 0-2 arrivals, 1-3 changes, 0-2 departures."""
    appeared, changed, vanished = [], [], []
    for account in account_ids(session):
        appeared += appear(session, rng, account, rng.randint(0, 2))
        changed += change(session, rng, account, rng.randint(1, 3))
        vanished += vanish(session, rng, account, rng.randint(0, 2))
    return {"appeared": appeared, "changed": changed, "vanished": vanished}
