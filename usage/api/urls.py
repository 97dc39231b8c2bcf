"""/api/v1/connect/usage/...: Connect's usage paths (no trailing slash, as Connect; one is
accepted), and the usage app's two API mounts.

The fulfillment app mounts `connect`; a prefix is one entry of the API root, so the usage app
mounts `connect/usage` (this urlconf) and `connect/subscriptions` (`billing_urls`). Django
tries the fulfillment app's `connect/` routes first and, finding none for `usage/...`, goes
on to these.

Listings are Connect's `/listings`, not under `/usage`: they are served here, at
`/api/v1/connect/usage/listings`, because `/api/v1/connect/listings` would need a second
mount named `connect` (docs/api.md, "Usage and billing").
"""

from channelhub.api.routers import OptionalSlashRouter
from channelhub.registry import ApiMount

from . import views

router = OptionalSlashRouter()
router.register("files", views.UsageFileViewSet, basename="connect-usage-file")
router.register("records", views.UsageRecordViewSet, basename="connect-usage-record")
router.register("chunks", views.UsageChunkViewSet, basename="connect-usage-chunk")
router.register("listings", views.ListingViewSet, basename="connect-usage-listing")

urlpatterns = router.urls

# What the API root lists for each mount: {key: URL name of the list}.
API_MOUNTS = (
    ApiMount(
        "connect/usage",
        "usage.api.urls",
        {name: f"connect-usage-{name[:-1]}-list" for name in ("files", "records", "chunks", "listings")},
    ),
    ApiMount(
        "connect/subscriptions",
        "usage.api.billing_urls",
        {"assets": "connect-subscription-asset-list", "requests": "connect-subscription-request-list"},
    ),
)
