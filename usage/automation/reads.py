"""What the usage processors read of the mirror beside the file itself: a file's total, whether
its records are read, and the files of the period before it.

A file's total is the sum of its records that count (not invalid, not rejected): their
`amount` for the schemas that report money (TR, PR, CR), their quantity (`usage`) for QT, whose
records carry no amount. Decimal throughout, as the records stream stores them.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db.models import Sum

from ..choices import UsageFileStatus, UsageRecordStatus, UsageSchema
from ..models import UsageFile, UsageRecord
from ..streams.records import file_state

AMOUNT, QUANTITY = "amount", "quantity"
# Records that are not part of what the file reports.
NOT_COUNTED = (UsageRecordStatus.INVALID, UsageRecordStatus.REJECTED)
# The files a provider has taken for a period: what a new period is compared with.
TAKEN = (UsageFileStatus.ACCEPTED, UsageFileStatus.CLOSED)


def measure_of(schema: str) -> str:
    """What a file's total adds up: "quantity" for QT, "amount" for every other schema."""
    return QUANTITY if schema == UsageSchema.QT else AMOUNT


def total_of(file_ids, measure: str) -> Decimal:
    """The total of these files' counted records (0 when they have none)."""
    column = "usage" if measure == QUANTITY else "amount"
    found = (
        UsageRecord.objects.filter(usage_file_id__in=list(file_ids))
        .exclude(status__in=NOT_COUNTED)
        .aggregate(total=Sum(column))["total"]
    )
    return found if found is not None else Decimal(0)


def records_read(usage_file: UsageFile) -> bool:
    """Whether the mirror holds the file's records as the file is now (the records stream has
    pulled them since the file last changed): a total read before that would be wrong."""
    state, _ = file_state(usage_file)
    return state == usage_file.records_pulled_for


def previous_period_files(usage_file: UsageFile) -> list[UsageFile]:
    """The accepted or closed files of the same contract and product whose period ends the day
    before this file's starts (the previous period), oldest first; [] without a period."""
    if usage_file.period_from is None:
        return []
    return list(
        UsageFile.objects.filter(
            contract_id=usage_file.contract_id,
            product_id=usage_file.product_id,
            period_to=usage_file.period_from - timedelta(days=1),
            status__in=TAKEN,
        )
        .exclude(pk=usage_file.pk)
        .order_by("period_from", "pk")
    )
