"""Field helpers for mirrored models: relations that never require the target row, upstream
strings, ids and timestamps."""

from django.db import models


def mirror_fk(to, related_name: str, **kwargs) -> models.ForeignKey:
    """A relation between two mirrored models that never requires the target row to exist.

    Streams sync independently (requests may arrive before their asset, product or tier
    account), so there is no database constraint and no cascade: the mapper sets `<fk>_id`
    straight from the payload, and a dangling id simply resolves to nothing until the
    target's stream catches up.
    """
    return models.ForeignKey(
        to,
        db_constraint=False,
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name=related_name,
        **kwargs,
    )


def string(max_length: int = 255, **kwargs) -> models.CharField:
    """A short upstream string; upstream omits or nulls many of them, so "" means unknown."""
    return models.CharField(max_length=max_length, blank=True, default="", **kwargs)


def ref(**kwargs) -> models.CharField:
    """An upstream id of something we do not mirror as a row (contract, provider, user...)."""
    return models.CharField(max_length=64, blank=True, default="", **kwargs)


def when(**kwargs) -> models.DateTimeField:
    """An upstream timestamp; upstream omits many of them, so it may be empty."""
    return models.DateTimeField(null=True, blank=True, **kwargs)
