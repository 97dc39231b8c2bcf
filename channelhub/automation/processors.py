"""The registered processors and their settings (which runs where, in earnest or dry run).

Processors come from the apps (`registry.register_automation_module`, a module with
`PROCESSORS` and `SUBJECTS`) and from plug-in modules named in `settings.AUTOMATION_PLUGINS`
(each with a `PROCESSORS` list), loaded once at start-up by the core's `ready()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import import_module

from django.conf import settings

from channelhub import registry
from channelhub.models.automation import ProcessorSetting

from .contract import Processor


def load_plugins() -> None:
    """Register the processors of the plug-in modules `settings.AUTOMATION_PLUGINS` names."""
    for path in getattr(settings, "AUTOMATION_PLUGINS", ()):
        module = import_module(path)
        for processor in getattr(module, "PROCESSORS", ()):
            registry.register_processor(processor)


def all_processors() -> tuple[type[Processor], ...]:
    """Every registered processor class, in registration order."""
    return registry.processors()


@cache
def _by_name() -> dict[str, type[Processor]]:
    return {processor.name: processor for processor in all_processors()}


def processor_named(name: str) -> type[Processor]:
    """The processor called `name` (LookupError listing the known ones)."""
    try:
        return _by_name()[name]
    except KeyError:
        known = ", ".join(sorted(_by_name())) or "none"
        raise LookupError(f"no processor {name!r} (known: {known})") from None


@dataclass(frozen=True)
class Mode:
    """How a processor runs for one product: on (`dry_run` or not), or off."""

    enabled: bool
    dry_run: bool

    def __str__(self):
        return "off" if not self.enabled else ("dry run" if self.dry_run else "on")


OFF = Mode(enabled=False, dry_run=False)


class Settings:
    """Every processor's settings, read in one query; asked per (processor, product)."""

    def __init__(self, rows=None):
        rows = ProcessorSetting.objects.all() if rows is None else rows
        self._rows = {(row.processor, row.product_id): row for row in rows}

    def mode(self, processor: str, product_id: str) -> Mode:
        """The product's own row, else the all-products row, else off."""
        row = self._rows.get((processor, product_id or "")) or self._rows.get((processor, ""))
        if row is None:
            return OFF
        return Mode(enabled=row.enabled, dry_run=row.dry_run)

    def anything_on(self) -> bool:
        """Whether any processor runs anywhere (the sync's hook costs nothing otherwise)."""
        return any(row.enabled for row in self._rows.values())

    def maybe_on(self, processor: str) -> bool:
        """Whether the processor runs for at least one product."""
        return any(row.enabled for (name, _), row in self._rows.items() if name == processor)
