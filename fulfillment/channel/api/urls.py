"""/api/v1/channel/...: the Cloud Channel mirror (no trailing slash, one accepted).

Details take the full resource name: `/api/v1/channel/customers/accounts/A/customers/C`.
"""

from channelhub.api.routers import OptionalSlashRouter

from . import views

router = OptionalSlashRouter()
router.register("customers", views.CustomerViewSet, basename="channel-customer")
router.register("entitlements", views.EntitlementViewSet, basename="channel-entitlement")
router.register("entitlement-changes", views.EntitlementChangeViewSet, basename="channel-entitlement-change")
router.register("offers", views.OfferViewSet, basename="channel-offer")
router.register("products", views.ChannelProductViewSet, basename="channel-product")
router.register("skus", views.SkuViewSet, basename="channel-sku")
router.register(
    "channel-partner-links", views.ChannelPartnerLinkViewSet, basename="channel-channel-partner-link"
)

urlpatterns = router.urls
