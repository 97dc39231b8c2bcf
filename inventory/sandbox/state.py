"""The CMP feed's own state file, `<sandbox state>.cmp.sqlite3`, beside (never inside) the shared
sandbox state, so adding the feed leaves the other modules' state files and seeded copies as they
were.

It is built with the kit's `Store` (the same locking, bulk building and file swap as the shared
state) on two tables: `cmp_accounts` (key: the account id) and `cmp_resources` (key
`<account>/<type>/<id>`, since upstream ids repeat across accounts; columns account, rtype, rid
for the listing's order). Its meta key `cmp` holds the seed, scale and the next number per account
and type.

Life cycle: a pristine copy per (seed, scale) is built once beside it
(`...cmp.sqlite3.pristine-<seed>-<scale>-<layout>-<version>`); a sandbox reset installs that copy
for the seed and scale the shared state was just reset to (read from its meta); a restart keeps
the file as it is. The path is learnt from the server (`on_serve`) or the first session a hook or
handler sees; a reset that comes earlier (the first start seeds before it serves) is applied then.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from channelhub.sandbox.common import dumps
from channelhub.sandbox.store import Collection, Store

from . import seed as seeding

ACCOUNTS = Collection(name="cmp_accounts", columns={}, default_ordering=("id",))
RESOURCES = Collection(
    name="cmp_resources",
    columns={},
    extra_columns=("account", "rtype", "rid"),
    default_ordering=("id",),
    indexes=(("account", "rtype", "rid"),),
)
COLLECTIONS = (ACCOUNTS, RESOURCES)
# Bump when the seeded world changes shape, so older pristine copies are not installed.
SEED_VERSION = "1"
DEFAULT_SEED, DEFAULT_SCALE = 1, 50


def resource_key(account: str, rtype: str, rid: str) -> str:
    """The row key of a resource: upstream ids are unique per (account, type) only."""
    return f"{account}/{rtype}/{rid}"


def resource_row(account: str, doc: dict) -> tuple:
    """A `cmp_resources` row: (key, account, rtype, rid, doc text)."""
    return (resource_key(account, doc["type"], doc["id"]), account, doc["type"], doc["id"], dumps(doc))


class CmpState:
    """The feed's state file: bound to the sandbox's state path once known, reset to the pristine
    copy of the shared state's seed and scale, sessions for the routes, life and knobs."""

    def __init__(self):
        self._lock = threading.RLock()
        self._store: Store | None = None
        self._shared: Path | None = None
        self._reset_pending = False
        self._ready = False

    @property
    def path(self) -> Path | None:
        """The state file (None until the sandbox's state path is known)."""
        return self._store.path if self._store else None

    def bind(self, shared_path) -> None:
        """Learn the sandbox's state path (idempotent); install the seeded state if the file is
        missing, of another layout, or a reset came before the path was known."""
        if self._ready:  # every request binds: once the file is known good, nothing to check
            return
        with self._lock:
            if self._store is None:
                self._shared = Path(shared_path)
                self._store = Store(f"{self._shared}.cmp.sqlite3", COLLECTIONS)
            if self._reset_pending or not self._store.exists():
                self._reset_pending = False
                self._install()
            self._ready = True

    def reset(self) -> None:
        """Back to the seeded state of the shared state's (seed, scale), now or once bound."""
        with self._lock:
            if self._store is None:
                self._reset_pending = True
            else:
                self._install()

    def session(self):
        """A session on the feed's file (the kit's `Session`: `write()`, `snapshot()`, `conn`)."""
        if self._store is None:
            raise RuntimeError("the CMP feed's state is not bound to a sandbox state path yet")
        return self._store.session()

    def _install(self) -> None:
        seed, scale = self._shared_world()
        self._store.path.parent.mkdir(parents=True, exist_ok=True)
        self._store.install(self.ensure_pristine(seed, scale))

    def _shared_world(self) -> tuple[int, int]:
        """The seed and scale the shared sandbox state was seeded with (its `sandbox` meta)."""
        if self._shared is not None and self._shared.exists():
            with Store(self._shared, ()).session() as shared:
                meta = shared.meta("sandbox", {}) or {}
            if meta.get("seed") is not None and meta.get("scale") is not None:
                return int(meta["seed"]), int(meta["scale"])
        return DEFAULT_SEED, DEFAULT_SCALE

    def pristine_path(self, seed: int, scale: int) -> Path:
        """Where the seeded copy for (seed, scale) is kept."""
        return Path(f"{self._store.path}.pristine-{seed}-{scale}-{self._store.layout()}-{SEED_VERSION}")

    def ensure_pristine(self, seed: int, scale: int) -> Path:
        """The seeded copy for (seed, scale), built once (under a temporary name, renamed when complete)."""
        target = self.pristine_path(seed, scale)
        if target.exists():
            return target
        building = Path(f"{target}.building-{os.getpid()}-{threading.get_ident()}")
        accounts, resources = seeding.build_world(seed, scale)
        with self._store.building(building) as session:
            session.insert_raw("cmp_accounts", [(a["id"], dumps(a)) for a in accounts])
            rows = [resource_row(account, doc) for account, docs in resources.items() for doc in docs]
            session.insert_raw("cmp_resources", rows)
            session.set_meta("cmp", {"seed": seed, "scale": scale, "next": seeding.next_numbers(resources)})
            session.set_meta("layout", self._store.layout())
        os.replace(building, target)
        return target

    def seed_counts(self, seed: int, scale: int) -> dict:
        """What the seed of (seed, scale) holds, per account and type (for the sandbox's meta)."""
        counts = seeding.counts_for(scale)
        return {a["id"]: {"account": 1, **counts} for a in seeding.world.ACCOUNTS}
