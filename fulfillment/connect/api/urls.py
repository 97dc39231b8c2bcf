"""/api/v1/connect/...: Connect's own paths (no trailing slash, as Connect; one is accepted)."""

from django.urls import re_path

from channelhub.api.routers import OptionalSlashRouter

from . import views

router = OptionalSlashRouter()
router.register("requests", views.FulfillmentRequestViewSet, basename="connect-request")
router.register("assets", views.AssetViewSet, basename="connect-asset")
router.register("tier/configs", views.TierConfigViewSet, basename="connect-tier-config")
router.register(
    "tier/config-requests", views.TierConfigRequestViewSet, basename="connect-tier-config-request"
)
router.register("tier/accounts", views.TierAccountViewSet, basename="connect-tier-account")
router.register("products", views.ProductViewSet, basename="connect-product")
router.register("marketplaces", views.MarketplaceViewSet, basename="connect-marketplace")
router.register("hubs", views.HubViewSet, basename="connect-hub")
router.register("conversations", views.ConversationViewSet, basename="connect-conversation")

templates_list = views.TemplateViewSet.as_view({"get": "list"})
templates_detail = views.TemplateViewSet.as_view({"get": "retrieve"})

urlpatterns = [
    re_path(r"^products/(?P<product_id>[^/]+)/templates/?$", templates_list, name="connect-template-list"),
    re_path(
        r"^products/(?P<product_id>[^/]+)/templates/(?P<pk>[^/]+)/?$",
        templates_detail,
        name="connect-template-detail",
    ),
    *router.urls,
]
