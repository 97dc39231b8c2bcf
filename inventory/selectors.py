"""Reads of the inventory for the resource page: its details in words, its connections both
ways, its neighbourhood and its metrics. Keyword-only, each query bounded (a resource with a
thousand connections shows the first `CONNECTIONS_SHOWN` of each way, and says how many)."""

from __future__ import annotations

from datetime import timedelta

from inventory import display
from inventory.models import MetricSample, Resource, ResourceConnection

CONNECTIONS_SHOWN = 200
METADATA_SHOWN = 500
ADDRESSES_SHOWN = 200
NEIGHBOURS_SHOWN = 24
METRICS_SHOWN = 12
SAMPLES_SHOWN = 200
METRICS_WINDOW = timedelta(hours=24)


def _target_rows(keys) -> dict[str, dict]:
    """{key: {name, type, upstream_id, gone}} of the mirrored resources among `keys` (one query)."""
    rows = Resource.objects.filter(pk__in=set(keys)).values_list(
        "pk", "name", "type", "upstream_id", "gone_at"
    )
    return {
        pk: {"name": name, "type": type_, "upstream_id": uid, "gone": gone_at is not None}
        for pk, name, type_, uid, gone_at in rows
    }


def connections_out(*, resource: Resource, limit: int = CONNECTIONS_SHOWN) -> dict:
    """This resource's own connections, each with its target when that is mirrored
    (`target` None: dangling, the source did not list it). Two queries."""
    rows = list(
        ResourceConnection.objects.filter(resource=resource).order_by("kind", "target_upstream_id")[
            : limit + 1
        ]
    )
    more = len(rows) > limit
    rows = rows[:limit]
    targets = _target_rows(r.target_key for r in rows)
    return {
        "rows": [
            {
                "kind": r.kind,
                "type": r.target_type,
                "upstream_id": r.target_upstream_id,
                "key": r.target_key,
                "target": targets.get(r.target_key),
            }
            for r in rows
        ],
        "more": more,
    }


def connections_in(*, resource: Resource, limit: int = CONNECTIONS_SHOWN) -> dict:
    """The connections of other resources that point at this one (`target_key`, indexed)."""
    rows = list(
        ResourceConnection.objects.filter(target_key=resource.pk)
        .select_related("resource")
        .only(
            "kind",
            "target_type",
            "resource__id",
            "resource__name",
            "resource__type",
            "resource__upstream_id",
            "resource__gone_at",
        )
        .order_by("kind", "resource_id")[: limit + 1]
    )
    more = len(rows) > limit
    return {
        "rows": [
            {
                "kind": r.kind,
                "key": r.resource.pk,
                "name": r.resource.name,
                "type": r.resource.type,
                "upstream_id": r.resource.upstream_id,
                "gone": r.resource.gone_at is not None,
            }
            for r in rows[:limit]
        ],
        "more": more,
    }


def neighbourhood(
    *, resource: Resource, out: dict | None = None, into: dict | None = None, cap: int = NEIGHBOURS_SHOWN
) -> dict:
    """The resources next to this one (its targets and those pointing at it), each once, at
    most `cap` of them placed around it (`display.neighbourhood_layout`); `more` says how many
    others there are. Reuses the connections already read when given."""
    out = out if out is not None else connections_out(resource=resource)
    into = into if into is not None else connections_in(resource=resource)
    seen: dict[str, dict] = {}
    for row in out["rows"]:
        target = row["target"] or {}
        node = seen.setdefault(
            row["key"],
            {
                "key": row["key"],
                "name": target.get("name") or "",
                "upstream_id": row["upstream_id"],
                "type": row["type"],
                "mirrored": bool(row["target"]),
                "gone": bool(target.get("gone")),
                "kinds": [],
                "out": False,
                "in": False,
            },
        )
        node["out"] = True
        node["kinds"].append(row["kind"])
    for row in into["rows"]:
        node = seen.setdefault(
            row["key"],
            {
                "key": row["key"],
                "name": row["name"],
                "upstream_id": row["upstream_id"],
                "type": row["type"],
                "mirrored": True,
                "gone": row["gone"],
                "kinds": [],
                "out": False,
                "in": False,
            },
        )
        node["in"] = True
        node["kinds"].append(row["kind"])
    nodes = [n for key, n in seen.items() if key != resource.pk]  # a self-loop is not a neighbour
    nodes.sort(key=lambda n: not n["mirrored"])  # mirrored neighbours first: they can be visited
    layout = display.neighbourhood_layout(nodes[:cap])
    extra = len(nodes) - min(len(nodes), cap)
    if out["more"] or into["more"]:
        extra = max(extra, 1)
    layout.update(
        more=extra,
        more_is_lower_bound=out["more"] or into["more"],
        total=len(nodes),
        centre_label=display.short_label(resource.name or resource.upstream_id),
    )
    return layout


def metrics_series(
    *, resource: Resource, metrics: int = METRICS_SHOWN, samples: int = SAMPLES_SHOWN
) -> list[dict]:
    """Each metric of the resource (at most `metrics`, by name) with its last `samples`
    samples within `METRICS_WINDOW` of its latest one, as a chart (`display.chart`) with the
    latest value and unit. One query for the names, one per metric (index resource, metric, time)."""
    names = list(
        MetricSample.objects.filter(resource=resource)
        .order_by("metric")
        .values_list("metric", flat=True)
        .distinct()[:metrics]
    )
    series = []
    for name in names:
        latest = list(
            MetricSample.objects.filter(resource=resource, metric=name)
            .order_by("-time")
            .values_list("time", "value", "unit", "counter")[:samples]
        )
        if not latest:
            continue
        end = latest[0][0]
        window = [row for row in latest if row[0] >= end - METRICS_WINDOW]
        window.reverse()
        picture = display.chart([(t, v) for t, v, _, _ in window])
        series.append(
            {
                "metric": name,
                "unit": latest[0][2],
                "counter": latest[0][3],
                "latest_time": end,
                **picture,
            }
        )
    return series


def resource_detail(*, resource: Resource) -> dict:
    """Everything the resource page shows beside its columns: details in words, locations,
    metadata by namespace, IP addresses, connections both ways, neighbourhood, metrics."""
    metadata: dict[str, list] = {}
    for row in resource.metadata.all().order_by("namespace", "key")[:METADATA_SHOWN]:
        metadata.setdefault(row.namespace, []).append((row.key, display.value_words(row.value)))
    out = connections_out(resource=resource)
    into = connections_in(resource=resource)
    return {
        "type_words": display.type_words(resource.type),
        "state_badge": display.state_badge(resource.state) if resource.state else "",
        "detail_rows": display.detail_rows(resource.details),
        "location_rows": display.location_rows(resource.locations),
        "portal_link": display.safe_link(resource.native_portal_link),
        "metadata": sorted(metadata.items()),
        "addresses": list(resource.addresses.all().order_by("ip_address")[:ADDRESSES_SHOWN]),
        "connections_out": out,
        "connections_in": into,
        "neighbourhood": neighbourhood(resource=resource, out=out, into=into),
        "metrics": metrics_series(resource=resource),
        "seen_at": resource.seen_at,
    }
