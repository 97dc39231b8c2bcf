"""/api/v1/connect/subscriptions/...: Connect's billing paths, recurring assets and billing
requests (mounted as `connect/subscriptions`, see `usage.api.urls`)."""

from channelhub.api.routers import OptionalSlashRouter

from . import views

router = OptionalSlashRouter()
router.register("assets", views.RecurringAssetViewSet, basename="connect-subscription-asset")
router.register("requests", views.BillingRequestViewSet, basename="connect-subscription-request")

urlpatterns = router.urls
