"""What the dashboard measures the queues against: a target age per queue (and product)."""

from typing import ClassVar

from django.core.validators import MinValueValidator
from django.db import models


class QueueTarget(models.Model):
    """How long a row may wait in a queue before it counts as a breach (an SLA staff set).

    `queue` is a dashboard backlog row's key (`connect.requests.pending`, ...: the queues the
    apps declare in their dashboard modules); `product_id` narrows the target to one product
    (the upstream id the queue's rows carry: `PRD-…`, `products/…`), blank for every product
    without a target of its own. Supervisors edit these in the admin.
    """

    queue = models.CharField(max_length=64, help_text="The dashboard queue (its key)")
    product_id = models.CharField(
        max_length=255, blank=True, default="", help_text="One product's id; blank for all other products"
    )
    minutes = models.PositiveIntegerField(
        validators=[MinValueValidator(1)], help_text="Rows waiting longer than this are a breach"
    )
    note = models.CharField(max_length=255, blank=True, default="", help_text="Why this target")

    class Meta:
        ordering: ClassVar[list[str]] = ["queue", "product_id"]
        verbose_name = "queue target"
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["queue", "product_id"], name="queuetarget_queue_product"),
        ]

    def __str__(self):
        scope = self.product_id or "all products"
        return f"{self.queue} ({scope}): {self.minutes} min"
