"""`make run`'s demo source: the sandbox's CMP feed (account acc-1), read by its demo
connector through the real nflex contract, added once as the system actor."""

from __future__ import annotations

from channelhub.actors import system_actor

from .models import InventorySource, SourceKind
from .services.sources import source_add

DEMO_SOURCE = "sandbox-cmp"
DEMO_TOKEN = "sandbox-cmp-token"  # the sandbox's own token (docs/sandbox.md), not a real secret


def add_demo_source(sandbox_url: str) -> None:
    """Register the sandbox's feed as a source, unless there is one of that name."""
    if InventorySource.objects.filter(name=DEMO_SOURCE).exists():
        return
    source_add(
        actor=system_actor(),
        name=DEMO_SOURCE,
        kind=SourceKind.SANDBOX,
        description="The sandbox's CMP feed, account acc-1 (make run)",
        parameters={
            "credentials": {"url": f"{sandbox_url}/cmp/api", "token": DEMO_TOKEN},
            "parameters": {"account": "acc-1"},
        },
        poll_minutes=5,
    )
