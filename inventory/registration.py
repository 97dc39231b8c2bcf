"""What the inventory app brings to the core (called from `InventoryConfig.ready()`): its
upstream (`cmp`: each source opens itself), the stream provider (a stream per source), role
grants, its API mount, queues and its sandbox module (the CMP feed)."""

from channelhub import registry


def _always() -> bool:
    return True


def register() -> None:
    """Fill the registry with the inventory app's pieces."""
    from .api.urls import API_MOUNTS  # noqa: PLC0415 - viewsets name models: after app loading
    from .display import QUEUES  # noqa: PLC0415 - after app loading, like the rest
    from .streams import source_streams  # noqa: PLC0415 - streams name models: after app loading

    registry.grant_view("inventory")
    registry.register_upstream(
        registry.Upstream(
            "cmp",
            from_settings=lambda: None,  # a source is opened by its own pass (inventory.readers)
            is_configured=_always,  # each source's stream says whether it is enabled
            not_configured_reason="",
        )
    )
    registry.register_stream_provider(source_streams)
    registry.grant(
        "supervisor",
        "inventory.add_inventorysource",
        "inventory.change_inventorysource",
        "inventory.delete_inventorysource",
        "inventory.run_inventorysource",
        "inventory.add_metricmapping",
        "inventory.change_metricmapping",
        "inventory.delete_metricmapping",
    )
    for mount in API_MOUNTS:
        registry.register_api(mount)
    for queue in QUEUES:
        registry.register_queue(queue)
    registry.register_sandbox_module("inventory.sandbox:CmpFeedModule")
    registry.register_dashboard_module("inventory.dashboard")
    from .demo import add_demo_source  # noqa: PLC0415 - imports models: after app loading

    registry.register_demo_setup(add_demo_source)
