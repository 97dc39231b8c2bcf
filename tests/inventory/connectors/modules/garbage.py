"""A connector returning unusable output, of the shape `event["shape"]` names."""

import datetime


class Opaque:
    """Not JSON."""


def _item(ident="r-1", **extra):
    return {"id": ident, "type": "server", "base": {"name": "a"}} | extra


SHAPES = {
    "dict": lambda: {"id": "x"},
    "string": lambda: "not a list",
    "generator": lambda: (_item() for _ in range(2)),
    "no_id": lambda: [_item(), {"type": "server", "base": {"name": "b"}}],
    "empty_id": lambda: [_item(ident="")],
    "int_id": lambda: [_item(ident=17)],
    "not_an_object": lambda: [_item(), _item("r-2"), 42],
    "no_type": lambda: [{"id": "r-1", "base": {}}],
    "bad_base": lambda: [_item(), _item("r-2"), {"id": "x", "type": "server", "base": "b"}],
    "bad_name": lambda: [{"id": "x", "type": "server", "base": {"name": 5}}],
    "opaque": lambda: [_item(), _item("r-2", details={"server": {"thing": Opaque()}})],
    "nan": lambda: [_item(details={"server": {"cpu_hz": float("nan")}})],
    "huge": lambda: [_item(), _item("big", metadata={"blob": "x" * 2_000_000})],
    "many": lambda: [_item(f"r-{n}") for n in range(20)],
    "dates": lambda: [
        _item(base={"name": "d", "provider_created_at": datetime.datetime(2017, 2, 4, 1, 2, 3)}),
        _item("r-2", metadata={"day": datetime.date(2020, 1, 31)}),
    ],
    "metrics_string": lambda: "nope",
}


def get(event, context):
    """Return the shape asked for."""
    return SHAPES[event["shape"]]()


def get_metrics(event, context):
    """Return the shape asked for, as metrics."""
    return SHAPES[event["shape"]]()
