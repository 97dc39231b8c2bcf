"""Metrics: a source's `get_metrics` read per poll window, mapped, written as samples.

The window is nflex's own: `nflex_connector_utils.time.setup_time_interval(event,
backfill_time, initial_interval, skew)` from the source's `poll_interval` and the last
window's end (`last_update`, this stream's cursor), so the first run reads one poll interval
(plus `initial_interval`) back, a late one catches up at most `backfill` seconds per run, and
`skew` keeps clear of a provider's reporting delay. The connector gets the window in its event
(`last_update`, `window_start`, `window_end`) and answers `{"metrics": [...], "last_update"}`
(flexer's schema) or a bare list; each sample names its resource by upstream id
(`resource_id` or `provider_id`, with `resource_type` when ids repeat across types).

Mappings (`MetricMapping`, nflex's `load_metric_mapping` entries) rename, re-unit and convert
values with the library's expression parsers (arithmetic, `A if x > y else B`, SQL `CASE
WHEN`): pyparsing grammars evaluated with `operator`, never `eval`. An expression is checked
when a mapping is saved (`check_expression`); one that fails on a value skips that sample and
is counted, never a silent raw value (the library's `ParsedEntry.value` would return it).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import lru_cache

from channelhub.sync.coerce import as_dict, as_list, parse_time, text
from channelhub.sync.streams import Batch, RunContext, Stream

from .models import InventorySource, MetricMapping, MetricSample, Resource, SourceKind
from .readers import NFLEX_TIME, OfSource, SourceFailed, read_metrics

logger = logging.getLogger(__name__)

MAX_EXPRESSION = 500  # characters: deep nesting costs the parser CPU


class ExpressionError(ValueError):
    """A conversion expression that does not parse or cannot be evaluated."""


@lru_cache(maxsize=512)
def compiled(expression: str):
    """The parsed expression (CASE, ternary or arithmetic), cached; raises ExpressionError."""
    from nflex_connector_utils import parser  # noqa: PLC0415 - pyparsing grammars: built on first use

    expression = expression.strip()
    if len(expression) > MAX_EXPRESSION:
        raise ExpressionError(f"longer than {MAX_EXPRESSION} characters")
    grammar = (
        parser.CaseExpressionParser() if expression[:4].upper() == "CASE" else parser.SimpleExpressionParser()
    )
    logging.getLogger().disabled, was = True, logging.getLogger().disabled  # the parser warns on root
    try:
        tree = grammar.parse(expression)
    finally:
        logging.getLogger().disabled = was
    if tree is None:
        raise ExpressionError(
            "not an expression the parser reads (arithmetic, 'A if x > y else B' or 'CASE WHEN ... THEN ... END')"
        )
    return tree


def evaluate(expression: str, **variables) -> float | None:
    """The expression's value for `variables` (the raw one is `value`); raises ExpressionError."""
    from nflex_connector_utils.parser import VariableLookupError  # noqa: PLC0415 - see compiled()

    try:
        result = compiled(expression).evaluate(variables)
    except VariableLookupError as exc:
        raise ExpressionError(str(exc)) from None
    except (OverflowError, TypeError, ValueError, ZeroDivisionError) as exc:
        raise ExpressionError(f"{type(exc).__name__}: {exc}") from None
    if result is not None and (not isinstance(result, int | float) or not math.isfinite(result)):
        raise ExpressionError(f"evaluated to {result!r}, not a finite number")
    return result


def check_expression(expression: str) -> str | None:
    """Why `expression` cannot be a mapping's conversion, or None (tried on value = 1)."""
    if not expression.strip():
        return None
    try:
        evaluate(expression, value=1.0)
    except ExpressionError as exc:
        return str(exc)
    return None


def window(source: InventorySource, cursor: dict) -> tuple[datetime, datetime]:
    """The poll window (aware UTC) as `setup_time_interval` computes it for this source."""
    from nflex_connector_utils.time import setup_time_interval  # noqa: PLC0415 - the library's, on use

    options = as_dict((source.parameters or {}).get("metrics"))
    last = parse_time(cursor.get("at"))
    event = {
        "poll_interval": source.poll_minutes * 60,
        "last_update": last.astimezone(UTC).replace(tzinfo=None).strftime(NFLEX_TIME) if last else None,
    }
    start, end = setup_time_interval(
        event,
        backfill_time=int(options.get("backfill_seconds") or 0) or None,
        initial_interval=int(options.get("initial_interval_seconds") or 0),
        skew=int(options.get("skew_seconds") or 0),
    )
    return start.replace(tzinfo=UTC), end.replace(tzinfo=UTC)


def reports_metrics(source: InventorySource) -> bool:
    """Whether the source is asked for metrics: the sandbox's always; a connector when its
    parameters say `"metrics": {...}` (its module is never imported here to find out)."""
    if source.kind == SourceKind.SANDBOX:
        return (source.parameters or {}).get("metrics", True) is not False
    return source.kind == SourceKind.CONNECTOR and bool((source.parameters or {}).get("metrics"))


def _mappings(source: InventorySource) -> dict[str, MetricMapping]:
    found: dict[str, MetricMapping] = {}
    for mapping in MetricMapping.objects.filter(source__isnull=True):
        found[mapping.key] = mapping
    for mapping in MetricMapping.objects.filter(source=source):
        found[mapping.key] = mapping  # the source's own wins
    return found


def _resources(source: InventorySource, items: list[dict]) -> dict[tuple[str, str], str]:
    """{(upstream id, type): key} and {(upstream id, ""): key} for the resources named."""
    ids = {str(i.get("resource_id") or i.get("provider_id") or "") for i in items} - {""}
    found: dict[tuple[str, str], str] = {}
    for start in range(0, len(ids), 500):
        chunk = sorted(ids)[start : start + 500]
        for pk, uid, type_ in Resource.objects.filter(source=source, upstream_id__in=chunk).values_list(
            "pk", "upstream_id", "type"
        ):
            found[(uid, type_)] = pk
            found.setdefault((uid, ""), pk)
    return found


def sample_rows(source: InventorySource, items: list, counts: dict) -> list:
    """The reported metrics as MetricSample rows (unmatched, malformed and failed ones counted)."""
    items = [i for i in items if isinstance(i, dict)]
    resources = _resources(source, items)
    mappings = _mappings(source)
    rows = []
    for item in items:
        uid = str(item.get("resource_id") or item.get("provider_id") or "")
        key = resources.get((uid, str(item.get("resource_type") or ""))) or resources.get((uid, ""))
        when, raw = parse_time(item.get("time")), item.get("value")
        if key is None:
            counts["unmatched"] += 1
            continue
        if (
            not item.get("metric")
            or when is None
            or not isinstance(raw, int | float)
            or isinstance(raw, bool)
        ):
            counts["malformed"] += 1
            continue
        mapping = mappings.get(str(item["metric"]))
        value = float(raw)
        if mapping is not None and mapping.conversion_expr.strip():
            try:
                value = evaluate(mapping.conversion_expr, value=value)
            except ExpressionError:
                counts["conversion_failed"] += 1
                continue
        metric = text((mapping.name if mapping else "") or item["metric"], 128)
        fields = {
            "resource_id": key,
            "metric": metric,
            "time": when,
            "value": value,
            "unit": text((mapping.unit if mapping and mapping.unit else item.get("unit")), 32),
            "counter": bool(mapping.counter if mapping else item.get("counter")),
            "specialisation": text(
                (mapping.specialisation if mapping else "") or item.get("specialisation"), 64
            ),
        }
        rows.append((f"{key}|{metric}|{round(when.timestamp() * 1_000_000)}"[:255], fields, item))
    return rows


class SourceMetricsStream(OfSource, Stream):
    """A source's metrics for one poll window per run; the cursor is the window's end."""

    stream_kind = "metrics"
    model = MetricSample
    description = "The source's metrics (nflex get_metrics), one poll window per run"

    def batches(self, ctx: RunContext) -> Iterator[Batch]:
        """One window: run get_metrics, map, write with the new cursor."""
        source = InventorySource.objects.get(pk=self.source_id)
        start, end = window(source, ctx.cursor)
        if end <= start:  # an inverted window (a clock behind the cursor): nothing to read yet
            return
        value, state, logs = read_metrics(
            source,
            window_event={"window_start": start.strftime(NFLEX_TIME), "window_end": end.strftime(NFLEX_TIME)},
        )
        body = value if isinstance(value, dict) else {"metrics": value}
        if not isinstance(body.get("metrics"), list):
            raise SourceFailed("garbage", "get_metrics answered something that is not a list of metrics.")
        counts = {"unmatched": 0, "malformed": 0, "conversion_failed": 0}
        rows = sample_rows(source, as_list(body["metrics"]), counts)
        if any(counts.values()):
            logger.warning("inventory %s metrics: %s", source.name, counts)
        reported = parse_time(body.get("last_update")) or end
        InventorySource.objects.filter(pk=source.pk).update(state=state)
        yield Batch(
            writes=[(MetricSample, rows)],
            cursor={"at": min(reported, end).isoformat(), "skipped": counts},
            fetched=len(rows),
        )
