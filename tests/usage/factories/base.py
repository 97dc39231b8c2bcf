"""What every usage factory shares: the default world's ids and times, Connect's time format,
and `MirroredFactory`, which saves a row as a sync would (payload -> the app's mapper)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import orjson
from factory.django import DjangoModelFactory

from channelhub.sync.upsert import canonical_json, digest

BASE_TIME = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
PERIOD_FROM = date(2024, 2, 1)
PERIOD_TO = date(2024, 2, 29)
# The default world: one product under one contract on one marketplace.
PRODUCT = "PRD-100-200-300"
CONTRACT = "CRD-00000-00000-00001"
MARKETPLACE = "MP-12345"
VENDOR = "VA-587-127"
PROVIDER = "PA-587-127"


def ts(value: datetime | None) -> str | None:
    """A datetime in Connect's wire format (`2020-11-23T14:18:17+00:00`); None stays None."""
    return value.astimezone(UTC).replace(microsecond=0).isoformat() if value else None


def midnight(day: date | datetime) -> datetime:
    """The start (UTC) of a day given as a date, or of a datetime's own day."""
    if isinstance(day, datetime):
        return day.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC)


def digits(n: int) -> str:
    """`n` as Connect's two blocks of four digits (`0000-0042`)."""
    return f"{n // 10000:04d}-{n % 10000:04d}"


def ref(ident: str, name: str) -> dict:
    """A `{id, name}` reference."""
    return {"id": ident, "name": name}


class MirroredFactory(DjangoModelFactory):
    """Builds `payload`, maps it with the app's mapper, and saves the row as a sync would."""

    class Meta:
        abstract = True

    @classmethod
    def map(cls, payload: dict) -> dict:
        """The model's fields from the payload (the app's mapper)."""
        raise NotImplementedError

    @classmethod
    def _instantiate(cls, model_class, kwargs: dict):
        # Stored as the engine stores it: canonical JSON, a Decimal as its exact text.
        payload = orjson.loads(canonical_json(kwargs.pop("payload")))
        fields = cls.map(payload)
        fields.update(kwargs)  # a column passed directly disagrees with the payload on purpose
        return model_class(
            id=payload["id"], payload=payload, payload_hash=digest(canonical_json(payload)), **fields
        )

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        return cls._instantiate(model_class, kwargs)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        obj = cls._instantiate(model_class, kwargs)
        obj.save(force_insert=True)
        return obj
