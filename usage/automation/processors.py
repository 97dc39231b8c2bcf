"""The processor usage ships: a pending file accepted when its total stays within the band
staff set (admin: Usage > Usage acceptance bands) of the previous period's; otherwise left
for a person, with the reason in words.

- The total is the sum of the file's counted records: the amount, or the quantity for QT
  files, which carry no amount (`reads`); both periods are the same product's, so the same
  measure.
- The previous period is the one ending the day before this file's starts, for the same
  contract and product; its accepted and closed files are added up (usually there is one).
  A gap (no file taken for that period) is left for a person: "no previous period to compare".
- Until the records stream has read a file's records as the file is now, the processor asks
  again later instead of comparing a total it cannot know yet.

Off until a supervisor enables it (per product, or in dry run first).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import ClassVar

from channelhub.automation.contract import Decision, Processor

from ..models import AcceptanceBand
from ..models.automation import percent_words
from .subjects import USAGE_FILE_EVENT

RECORDS_WAIT_SECONDS = 300  # the records stream runs every 5 minutes


def money(value: Decimal) -> str:
    """'1,450.00': two decimals, thousands grouped (quantities too: they may be fractional)."""
    return f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,.2f}"


def change_of(total: Decimal, previous: Decimal) -> Decimal:
    """The change from `previous` to `total`, in % (previous is not 0)."""
    return (total - previous) * 100 / previous


def change_words(change: Decimal) -> str:
    """'45% above', '12.5% below', 'the same as'."""
    rounded = change.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    if rounded == 0:
        return "the same as"
    return f"{percent_words(abs(rounded))}% {'above' if rounded > 0 else 'below'}"


class AcceptanceBandProcessor(Processor):
    """Pending usage files accepted within the band of the previous period's total."""

    name = "usage.acceptance_band"
    version = "1.0"
    description = "Accept pending usage files whose total is within a band of the previous period's"
    events: ClassVar[dict[str, tuple[str, ...]]] = {USAGE_FILE_EVENT: ("pending",)}

    def __init__(self):
        self._bands: dict[str, AcceptanceBand] | None = None

    def band_for(self, product_id: str) -> AcceptanceBand | None:
        """The product's band, else the every-product band (the table is read once per run)."""
        if self._bands is None:
            self._bands = {band.product_id: band for band in AcceptanceBand.objects.all()}
        return self._bands.get(product_id) or self._bands.get("")

    def process(self, usage_file):
        """Decide one pending file."""
        band = self.band_for(usage_file.product.id)
        if band is None:
            return Decision.skip(
                f"No acceptance band for {usage_file.product.id} (nor one for every product); "
                "left for a person."
            )
        if usage_file.period.start is None:
            return Decision.skip("The file has no period to compare; left for a person.")
        previous = usage_file.previous_period()
        if not previous:
            return Decision.skip(
                f"No previous period to compare: no accepted or closed file of {usage_file.contract.id} "
                f"for {usage_file.product.id} for the period before {usage_file.period}; left for a person."
            )
        unread = [f.id for f in (usage_file, *previous) if not f.records_read]
        if unread:
            return Decision.reschedule(
                RECORDS_WAIT_SECONDS, reason=f"The records of {', '.join(unread)} are not read yet."
            )
        return self.compare(usage_file, previous, band)

    def compare(self, usage_file, previous, band: AcceptanceBand) -> Decision:
        """Accept within the band, skip (with the figures) outside it."""
        total = usage_file.total
        before = sum((f.total for f in previous), Decimal(0))
        what = "total" if usage_file.measure == "amount" else "total quantity"
        last = f"last period's {money(before)}"
        if len(previous) > 1:
            last += f" ({len(previous)} files)"
        if before == 0:
            return Decision.skip(
                f"{what} {money(total)} cannot be compared with {last}: a change from nothing has no "
                "percentage; left for a person."
            )
        change = change_of(total, before)
        words = f"{what} {money(total)} is {change_words(change)} {last}; band is {band.words()}"
        if not band.holds(change):
            return Decision.skip(f"{words[0].upper()}{words[1:]}. Left for a person.")
        note = band.note(
            total=money(total),
            previous_total=money(before),
            change=f"{change.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP):+f}%",
            band=band.words(),
            period=str(usage_file.period),
            previous_period=str(previous[0].period),
        )
        return Decision.accept(note, reason=f"{words[0].upper()}{words[1:]}.")
