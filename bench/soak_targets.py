"""What the soak's staff act on (bench/soak.py), read from the mirror as staff would find it.

Three kinds of work, taken in turn: a pending Connect request (approve with a template, inquire
with a parameter error, fail with a reason), an active Cloud Channel entitlement (suspend it, or
add a seat) and a usage file waiting for acceptance (accept with a note, or reject with one).
Each object is acted on once, so "applied exactly once" can be read from the sandbox, and only
with an action its spec offers on the mirrored row now (a refused form would prove nothing).
"""

from __future__ import annotations

import itertools
import threading

from django.contrib.admin.utils import quote

from bench.soak_driver import Target
from channelhub.actions.specs import spec_of
from fulfillment.channel.choices import ProvisioningState
from fulfillment.models import Entitlement, FulfillmentRequest, Template
from usage.choices import UsageFileStatus
from usage.models import UsageFile

REQUEST_PAGE = "/admin/fulfillment/fulfillmentrequest/{}/"
ENTITLEMENT_PAGE = "/admin/fulfillment/entitlement/{}/"
USAGE_FILE_PAGE = "/admin/usage/usagefile/{}/"


class Targets:
    """`next()`: the next object to act on and its one action, or None when nothing is left now."""

    def __init__(self):
        self.acted: set[str] = set()  # every target's pk (upstream ids never collide across kinds)
        self._lock = threading.Lock()
        self._kinds = itertools.cycle((self._request, self._entitlement, self._usage_file))
        self._turns = itertools.count()

    def next(self) -> Target | None:
        """The next kind that has something to do, in turn."""
        with self._lock:
            for _ in range(3):
                target = next(self._kinds)()
                if target is not None:
                    self.acted.add(target.request_id)
                    return target
        return None

    def _offered(self, obj, action: str) -> bool:
        return spec_of(type(obj), action).refusal_of(obj) is None

    def _request(self) -> Target | None:
        request = (
            FulfillmentRequest.objects.filter(status="pending", is_migration=False)
            .exclude(params=[])
            .exclude(pk__in=self.acted)
            .order_by("created", "pk")
            .first()
        )
        if request is None:
            return None
        template = (
            Template.objects.filter(product_id=request.product_id, scope="asset", type="fulfillment")
            .order_by("pk")
            .values_list("pk", flat=True)
            .first()
        )
        verb = ("approve", "inquire", "fail")[next(self._turns) % 3]
        if verb == "approve" and template is None:
            verb = "fail"
        data = {
            "approve": {"approve-template_id": template},
            "inquire": {f"inquire-error__{request.params[0]['id']}": "Please check this value (soak)"},
            "fail": {"fail-reason": "Out of stock (soak)", "fail-confirm": "on"},
        }[verb]
        return Target(request.pk, verb, data, page=REQUEST_PAGE.format(quote(request.pk)))

    def _entitlement(self) -> Target | None:
        candidates = (
            Entitlement.objects.filter(provisioning_state=ProvisioningState.ACTIVE, gone_at__isnull=True)
            .exclude(pk__in=self.acted)
            .order_by("pk")
        )
        for entitlement in candidates[:20]:
            page = ENTITLEMENT_PAGE.format(quote(entitlement.pk))
            seats = entitlement.seats
            if len(self.acted) % 2 and seats is not None and self._offered(entitlement, "change_parameters"):
                data = {"change_parameters-seats": seats + 1, "change_parameters-purchase_order_id": ""}
                return Target(entitlement.pk, "change_parameters", data, page=page)
            if self._offered(entitlement, "suspend"):
                data = {"suspend-reason": "Unpaid invoice (soak)", "suspend-confirm": "on"}
                return Target(entitlement.pk, "suspend", data, page=page)
        return None

    def _usage_file(self) -> Target | None:
        usage_file = (
            UsageFile.objects.filter(status=UsageFileStatus.PENDING)
            .exclude(pk__in=self.acted)
            .order_by("created", "pk")
            .first()
        )
        if usage_file is None:
            return None
        page = USAGE_FILE_PAGE.format(quote(usage_file.pk))
        if len(self.acted) % 3 == 0:
            data = {"reject-note": "Quantities look doubled (soak)", "reject-confirm": "on"}
            return Target(usage_file.pk, "reject", data, page=page)
        return Target(usage_file.pk, "accept", {"accept-note": "Checked (soak)"}, page=page)
