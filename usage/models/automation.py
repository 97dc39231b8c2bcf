"""The band staff set for the shipped usage processor (`usage.acceptance_band`), per product
or for every product, in the admin: no code. Not mirrored: channelhub's own configuration."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

from channelhub.models.fields import ref

DEFAULT_NOTE = (
    "Accepted automatically: total {total} is within {band} of {previous_period}'s {previous_total}."
)
# What an acceptance note may name, with an example of each (the admin's help text and clean()).
NOTE_FIELDS = {
    "total": "1,100.00",
    "previous_total": "1,000.00",
    "change": "+10%",
    "band": "±20%",
    "period": "2024-12",
    "previous_period": "2024-11",
}
NOTE_MAX = 200  # Connect keeps 200 characters of an acceptance note


def percent_words(value: Decimal) -> str:
    """'20', '12.5': a percentage without trailing zeros (never an exponent)."""
    text = f"{value.quantize(Decimal('0.01')):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


class AcceptanceBand(models.Model):
    """How far a pending usage file's total may move from the previous period's and still be
    accepted by `usage.acceptance_band`: from `lower_percent` (e.g. -20) to `upper_percent`
    (e.g. +20), both inclusive. The row with no product is the band of every product that has
    none of its own."""

    product_id = ref(
        help_text="The product (PRD-…) this band is for; empty: every product without a band of its own"
    )
    lower_percent = models.DecimalField(
        max_digits=7,
        decimal_places=2,
        default=Decimal("-20"),
        validators=[MinValueValidator(Decimal("-100"))],
        help_text="The lowest change against the previous period still accepted, in % (e.g. -20)",
    )
    upper_percent = models.DecimalField(
        max_digits=7,
        decimal_places=2,
        default=Decimal("20"),
        help_text="The highest change against the previous period still accepted, in % (e.g. 20)",
    )
    acceptance_note = models.CharField(
        max_length=NOTE_MAX,
        default=DEFAULT_NOTE,
        help_text="The note the vendor reads; may name "
        + ", ".join("{" + name + "}" for name in NOTE_FIELDS),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "usage acceptance band"
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["product_id"], name="one_acceptance_band_per_product"),
            models.CheckConstraint(
                condition=models.Q(lower_percent__lte=models.F("upper_percent")),
                name="acceptance_band_lower_not_above_upper",
            ),
        ]

    def __str__(self):
        return f"{self.words()} for {self.product_id or 'every product'}"

    def clean(self):
        """The band must not be upside down, and the note must name only what it may."""
        if (
            self.lower_percent is not None
            and self.upper_percent is not None
            and self.lower_percent > self.upper_percent
        ):
            raise ValidationError({"lower_percent": "The lower bound must not be above the upper bound."})
        try:
            self.acceptance_note.format(**NOTE_FIELDS)
        except (KeyError, IndexError, ValueError) as wrong:
            names = ", ".join("{" + name + "}" for name in NOTE_FIELDS)
            raise ValidationError(
                {"acceptance_note": f"The note may name only {names} ({type(wrong).__name__}: {wrong})."}
            ) from None

    def holds(self, change: Decimal) -> bool:
        """Whether a change (in %) is inside the band, bounds included."""
        return self.lower_percent <= change <= self.upper_percent

    def words(self) -> str:
        """'±20%', or '-10% to +25%' when the band is not symmetric."""
        if self.lower_percent == -self.upper_percent:
            return f"±{percent_words(self.upper_percent)}%"
        return (
            f"{self.lower_percent:+.2f}%".replace(".00%", "%")
            + " to "
            + (f"{self.upper_percent:+.2f}%".replace(".00%", "%"))
        )

    def note(self, **values: str) -> str:
        """The acceptance note with the file's figures, cut to what Connect keeps."""
        return self.acceptance_note.format(**values)[:NOTE_MAX]
