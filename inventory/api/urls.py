"""/api/v1/inventory/...: resources, sources and metric samples (no trailing slash; one is
accepted), and the app's API mount, registered by the app's registration."""

from channelhub.api.routers import OptionalSlashRouter
from channelhub.registry import ApiMount

from . import views

router = OptionalSlashRouter()
router.register("resources", views.ResourceViewSet, basename="inventory-resource")
router.register("sources", views.InventorySourceViewSet, basename="inventory-source")
router.register("metrics", views.MetricSampleViewSet, basename="inventory-metric")

urlpatterns = router.urls

# What the API root lists for the mount: {key: URL name of the list}.
API_MOUNTS = (
    ApiMount(
        "inventory",
        "inventory.api.urls",
        {
            "resources": "inventory-resource-list",
            "sources": "inventory-source-list",
            "metrics": "inventory-metric-list",
        },
    ),
)
