"""What every seeding step shares: the `Seeding` state (session, RNG, world, ids taken, rows
waiting to be written, counts) and the raw-row helpers.

The steps run in a fixed order on one RNG (see `seed/__init__.py`); a step must draw from
`Seeding.rng` in the same order as before any change, or every seeded document changes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime

from ...common import EPOCH, dumps
from ...store import Session

SPAN = 365 * 24 * 3600  # seeded history: one year after the epoch
BATCH = 5000  # requests buffered before a flush


@dataclass
class Seeding:
    """The state one `seed()` call threads through its steps."""

    session: Session
    rng: random.Random
    scale: int
    world: dict
    taken: set[str] = field(default_factory=set)  # ids drawn so far (shapes.new_id keeps them unique)
    request_rows: list[tuple] = field(default_factory=list)
    asset_rows: list[tuple] = field(default_factory=list)
    conv_rows: list[tuple] = field(default_factory=list)
    message_rows: list[tuple] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def products(self) -> list[dict]:
        """The world's products."""
        return self.world["products"]

    @property
    def users(self) -> list[dict]:
        """The world's users (assignees, message authors)."""
        return self.world["users"]

    def flush(self) -> None:
        """Write the buffered rows. Requests and assets are sorted by update time so the table is
        clustered like the (updated, id) index."""
        for name, rows in (("requests", self.request_rows), ("assets", self.asset_rows)):
            if rows:
                upd = self.session.coll(name).column_names.index("updated") + 1
                rows.sort(key=lambda r: (r[upd], r[0]))
                self.session.insert_raw(name, rows)
                rows.clear()
        if self.conv_rows:
            self.session.insert_raw("conversations", self.conv_rows)
            self.conv_rows.clear()
        if self.message_rows:
            self.session.insert_raw("messages", self.message_rows)
            self.message_rows.clear()


def seconds(iso_text: str) -> float:
    """Seconds after the EPOCH of an ISO timestamp the seed wrote."""
    return (datetime.fromisoformat(iso_text) - EPOCH).total_seconds()


def row(name: str, session: Session, doc: dict) -> tuple:
    """A raw row of collection `name` for `Session.insert_raw`: id, indexed columns, the JSON."""
    values = session.coll(name).extract(doc, {})
    return (doc["id"], *values, dumps(doc))
