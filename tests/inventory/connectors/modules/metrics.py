"""A get_metrics connector: metrics in flexer's schema, converted with a metric mapping."""

import os
import tempfile

from nflex_connector_utils import load_metric_mapping, setup_time_interval

MAPPING = """
cpu:
  name: cpu-usage
  unit: percent
  counter: false
  conversion_expr: value * 100
disk:
  name: disk-state
  unit: ''
  conversion_expr: 1 if value > 90 else 0
"""


def get_metrics(event, context):
    """Two metrics for the poll window; the window's end is the next last_update."""
    start, end = setup_time_interval(event)
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as fh:
        fh.write(MAPPING)
    try:
        mapping = load_metric_mapping(fh.name)
    finally:
        os.unlink(fh.name)
    raw = {"cpu": 0.42, "disk": 95}
    metrics = [
        {
            "metric": mapping[key].name(),
            "value": mapping[key].value(value=value),
            "unit": mapping[key].unit(),
            "counter": mapping[key].counter(),
            "time": end,
            "resource_id": event["resource_id"],
        }
        for key, value in raw.items()
    ]
    context.log(f"window {start:%H:%M} to {end:%H:%M}")
    return {"metrics": metrics, "last_update": end.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}


def get(event, context):
    """The resource the metrics are about."""
    return [{"id": event["resource_id"], "type": "server", "base": {"name": "measured"}}]
