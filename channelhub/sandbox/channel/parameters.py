"""Entitlement parameters as the actions read and check them: values against an offer's
parameterDefinitions (type, min/max, allowed values, required ones), the purchase order id, and
the seat counts an entitlement carries."""

from __future__ import annotations

from . import shapes
from .wire import invalid


def checked_value(definition: dict | None, param: dict) -> int | str:
    """A parameter's value checked against its definition (type, min, max, allowed values)."""
    value = param.get("value") or {}
    name = param.get("name")
    kind = (definition or {}).get("parameterType", "INT64" if "int64Value" in value else "STRING")
    if kind == "INT64":
        try:
            number = int(value.get("int64Value"))
        except (TypeError, ValueError):
            raise invalid(f"Parameter {name} needs an int64Value.", "INVALID_VALUE") from None
        low = (definition or {}).get("minValue", {}).get("int64Value")
        high = (definition or {}).get("maxValue", {}).get("int64Value")
        if low is not None and number < int(low) or high is not None and number > int(high):
            raise invalid(f"Parameter {name}={number} is outside [{low}, {high}].", "INVALID_VALUE")
        return number
    if "stringValue" not in value:
        raise invalid(f"Parameter {name} needs a stringValue.", "INVALID_VALUE")
    allowed = [v.get("stringValue") for v in (definition or {}).get("allowedValues", [])]
    if allowed and value["stringValue"] not in allowed:
        raise invalid(f"Parameter {name} must be one of {allowed}.", "INVALID_VALUE")
    return value["stringValue"]


def checked(offer_doc: dict, params: list) -> dict[str, dict]:
    """Purchase parameters checked against the offer: known names, valid values, required ones
    present. Returns name -> Value."""
    if not isinstance(params, list):
        raise invalid("parameters must be a list.")
    definitions = {d["name"]: d for d in offer_doc.get("parameterDefinitions", [])}
    out = {}
    for param in params:
        name = param.get("name") if isinstance(param, dict) else None
        if name not in definitions:
            raise invalid(f"Parameter {name!r} is not defined by offer {offer_doc['name']}.", "INVALID_VALUE")
        value = checked_value(definitions[name], param)
        out[name] = shapes.int64(value) if isinstance(value, int) else {"stringValue": value}
    missing = [n for n, d in definitions.items() if not d.get("optional") and n not in out]
    if missing:
        raise invalid(f"Missing required parameters: {', '.join(missing)}.", "INVALID_VALUE")
    return out


def purchase_order(payload: dict) -> str | None:
    """The purchaseOrderId of an action's body (None if absent); at most 80 characters."""
    value = payload.get("purchaseOrderId")
    if value is not None and len(str(value)) > 80:
        raise invalid("purchase_order_id must be at most 80 characters.")
    return value


def seats(ent: dict) -> int:
    """The entitlement's seat count (num_units or max_units; 1 when it has neither)."""
    for param in ent.get("parameters", []):
        if param["name"] in ("num_units", "max_units"):
            return int(param["value"]["int64Value"])
    return 1


def assigned(ent: dict) -> int:
    """The entitlement's assigned seats (0 when it does not report them)."""
    for param in ent.get("parameters", []):
        if param["name"] == "assigned_units":
            return int(param["value"]["int64Value"])
    return 0
