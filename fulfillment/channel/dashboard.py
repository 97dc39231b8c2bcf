"""Cloud Channel's part of the dashboard: entitlements waiting (on the customer's terms of
service, suspended for another reason, trials ending this week), and the Cloud Channel group
of the admin's navigation. Registered by `registration`."""

from datetime import timedelta

from channelhub.dashboard import DEADLINE_BANDS, BacklogRow, BacklogWidget, NavGroup
from fulfillment.channel.choices import ProvisioningState, SuspensionReason
from fulfillment.channel.models import Entitlement

_ENTITLEMENTS = "admin:fulfillment_entitlement_changelist"
_SUSPENDED = f"provisioning_state__exact={ProvisioningState.SUSPENDED}"


def _live():
    # The entitlement list shows live ones unless asked (GoneFilter): so does the count.
    return Entitlement.objects.filter(gone_at__isnull=True)


def _suspended(reason: str):
    # A reason is a string in the JSON list: matched with its quotes, within the suspended
    # rows of the (provisioning_state, update_time) index.
    return lambda: _live().filter(
        provisioning_state=ProvisioningState.SUSPENDED, suspension_reasons__icontains=f'"{reason}"'
    )


def _suspended_row(reason: SuspensionReason, label: str) -> BacklogRow:
    return BacklogRow(
        f"channel.entitlements.suspended.{reason.value.lower()}",
        label,
        _suspended(reason.value),
        _ENTITLEMENTS,
        f'{_SUSPENDED}&suspension_reasons__icontains="{reason.value}"',
        field="update_time",
        product_field="product_id",
        product_param="product",
    )


def _this_week(now) -> dict:
    return {"trial_end__gte": now, "trial_end__lt": now + timedelta(days=7)}


WIDGETS = (
    BacklogWidget(
        key="channel-entitlements",
        title="Cloud Channel entitlements waiting",
        perm="fulfillment.view_entitlement",
        rows=(
            _suspended_row(
                SuspensionReason.PENDING_TOS_ACCEPTANCE, "Suspended: terms of service not accepted"
            ),
            _suspended_row(SuspensionReason.RESELLER_INITIATED, "Suspended by us"),
            _suspended_row(SuspensionReason.TRIAL_ENDED, "Suspended: trial ended"),
            _suspended_row(SuspensionReason.RENEWAL_WITH_TYPE_CANCEL, "Suspended: not renewed"),
            _suspended_row(SuspensionReason.OTHER, "Suspended: other reason"),
            BacklogRow(
                "channel.entitlements.trials_ending",
                "Trials ending within 7 days",
                lambda: _live().filter(trial=True),
                _ENTITLEMENTS,
                "trial__exact=1",
                field="trial_end",
                bands=DEADLINE_BANDS,
                window=_this_week,
                targets=False,
            ),
        ),
        help="A suspended entitlement's age is time since its last update upstream.",
    ),
)

NAV_GROUPS = (
    NavGroup(
        "Cloud Channel",
        order=20,
        models=(
            "fulfillment.entitlement",
            "fulfillment.customer",
            "fulfillment.entitlementchange",
            "fulfillment.channelpartnerlink",
            "fulfillment.offer",
            "fulfillment.sku",
            "fulfillment.channelproduct",
        ),
    ),
)
