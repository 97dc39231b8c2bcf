"""The read-only views processors get of Connect requests and tier config requests.

The legacy SDK's objects, as far as a processor reads them (seed 000): `request.asset.params`,
`request.asset.items`, `get_param_by_id`, `needs_migration()`, `request.contract.id`,
`request.asset.product.name`, `request.marketplace.name`, tiers, the conversation. Built from
the mirrored row; nothing can be set on them (a processor answers with a `Decision`).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from types import MappingProxyType

from channelhub.automation.contract import ReadOnlyView, Ref, frozen

from ..models import ConversationMessage


def _number(value) -> Decimal:
    try:
        return Decimal(str(value if value not in (None, "") else 0))
    except InvalidOperation:
        return Decimal(0)


class Param(ReadOnlyView):
    """One parameter: id, name, title, type, phase, value, value_error, structured_value, constraints."""

    __slots__ = ("_raw",)

    def __init__(self, raw: dict):
        object.__setattr__(self, "_raw", frozen(raw or {}))

    def __getattr__(self, name):
        if name in ("id", "name", "title", "type", "phase", "value", "value_error", "description"):
            value = self._raw.get(name)
            return "" if value is None else value
        if name == "structured_value":
            return self._raw.get("structured_value")
        if name == "constraints":
            return self._raw.get("constraints") or MappingProxyType({})
        raise AttributeError(name)

    @property
    def required(self) -> bool:
        """Whether Connect marks the parameter required."""
        return bool(self.constraints.get("required"))

    @property
    def is_filled(self) -> bool:
        """Whether it carries a value (text, or a structured one: phone, address, ...)."""
        return bool(str(self.value).strip()) or bool(self.structured_value)

    def __repr__(self):
        return f"<Param {self.id}={self.value!r}>"


class Item(ReadOnlyView):
    """One item: id, mpn, global_id, display_name, quantity and old_quantity (Decimal), type, period."""

    __slots__ = ("_raw",)

    def __init__(self, raw: dict):
        object.__setattr__(self, "_raw", frozen(raw or {}))

    def __getattr__(self, name):
        if name in ("quantity", "old_quantity"):
            return _number(self._raw.get(name))
        if name in ("id", "mpn", "global_id", "local_id", "display_name", "type", "period", "item_type"):
            return self._raw.get(name) or ""
        raise AttributeError(name)

    def __repr__(self):
        return f"<Item {self.mpn or self.id} x{self.quantity}>"


class _WithParams(ReadOnlyView):
    __slots__ = ()

    def get_param_by_id(self, param_id: str) -> Param | None:
        """The parameter with this id (None when there is none), as the SDK had it."""
        for param in self.params:
            if param.id == param_id:
                return param
        return None


class AssetView(_WithParams):
    """`request.asset`: id, external ids, product, params, items, tiers, connection type."""

    __slots__ = (
        "id",
        "external_id",
        "external_uid",
        "product",
        "params",
        "items",
        "tiers",
        "connection_type",
    )

    def __init__(self, row):
        for name, value in (
            ("id", row.asset_id or ""),
            ("external_id", row.asset_external_id),
            ("external_uid", row.asset_external_uid),
            ("product", Ref(row.product_id, row.product_name)),
            ("params", tuple(Param(p) for p in row.params or ())),
            ("items", tuple(Item(i) for i in row.items or ())),
            ("tiers", frozen(row.tiers or {})),
            ("connection_type", row.connection_type),
        ):
            object.__setattr__(self, name, value)


class _RequestBase(_WithParams):
    """What requests and tier config requests share: ids, status, product, params, conversation."""

    __slots__ = ("_row", "id", "type", "status", "product", "marketplace", "contract", "params", "raw")

    def __init__(self, row):
        for name, value in (
            ("_row", row),
            ("id", row.pk),
            ("type", row.type),
            ("status", row.status),
            ("product", Ref(row.product_id, row.product_name)),
            ("marketplace", Ref(row.marketplace_id, row.marketplace_name)),
            ("contract", Ref(row.contract_id, row.contract_name)),
            ("params", tuple(Param(p) for p in row.params or ())),
            ("raw", frozen(row.payload or {})),
        ):
            object.__setattr__(self, name, value)

    @property
    def conversation(self) -> tuple[str, ...]:
        """The texts of the request's conversation, oldest first (read when asked)."""
        return tuple(
            ConversationMessage.objects.filter(conversation__instance_id=self.id)
            .order_by("created", "pk")
            .values_list("text", flat=True)[:200]
        )


class RequestView(_RequestBase):
    """A fulfillment request (`PR-…`) as the SDK's `Fulfillment`: `asset`, `items`, `tiers`, ..."""

    __slots__ = ("asset", "items", "tiers", "customer", "tier1", "tier2", "created", "note")

    def __init__(self, row):
        super().__init__(row)
        for name, value in (
            ("asset", AssetView(row)),
            ("items", tuple(Item(i) for i in row.items or ())),
            ("tiers", frozen(row.tiers or {})),
            ("customer", Ref(row.customer_id, row.customer_name)),
            ("tier1", Ref(row.tier1_id, row.tier1_name)),
            ("tier2", Ref(row.tier2_id, row.tier2_name)),
            ("created", row.created),
            ("note", row.note),
        ):
            object.__setattr__(self, name, value)

    def needs_migration(self, migration_key: str = "migration_info") -> bool:
        """Whether the asset carries a filled migration parameter (the SDK's `needs_migration`)."""
        param = self.get_param_by_id(migration_key)
        return bool(param and str(param.value).strip())


class TierConfigRequestView(_RequestBase):
    """A tier config request (`TCR-…`): its tier level, account and configuration."""

    __slots__ = ("tier_level", "account", "configuration_id", "tiers")

    def __init__(self, row):
        super().__init__(row)
        for name, value in (
            ("tier_level", row.tier_level),
            ("account", Ref(row.account_id, row.account_name)),
            ("configuration_id", row.configuration_id or ""),
            ("tiers", frozen(row.tiers or {})),
        ):
            object.__setattr__(self, name, value)
