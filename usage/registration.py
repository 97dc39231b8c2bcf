"""What the usage app brings to the core (called from `UsageConfig.ready()`): its action specs
(with their executors), streams, role grants, API mounts, queues and its sandbox module."""

from channelhub import registry


def register() -> None:
    """Fill the registry with the usage app's pieces."""
    from .api.urls import API_MOUNTS  # noqa: PLC0415 - viewsets name models: after app loading
    from .display import QUEUES  # noqa: PLC0415 - after app loading, like the rest
    from .transitions import ACTIONS  # noqa: PLC0415 - the specs name models, forms: after app loading

    registry.grant_view("usage")
    for spec in ACTIONS:
        registry.register_action(spec)
    registry.register_streams("usage.streams")
    registry.grant("support", "usage.act_usagefile", "usage.act_billingrequest")
    registry.grant("supervisor", "usage.bill_usagefile")
    registry.grant("supervisor", *(f"usage.{v}_acceptanceband" for v in ("add", "change", "delete")))
    for mount in API_MOUNTS:
        registry.register_api(mount)
    for queue in QUEUES:
        registry.register_queue(queue)
    registry.register_sandbox_module("usage.sandbox:UsageModule")
    registry.register_dashboard_module("usage.dashboard")
    registry.register_automation_module("usage.automation")
