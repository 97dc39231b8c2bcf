"""A connector module for the sync tests: lists what a JSON file holds (the test writes it), so a
test controls exactly what a pass sees: resources that vanish and come back, an empty listing."""

import json
import os
import time


def get(event, context):
    """The resources in the file at parameters.path; counts its runs in its state."""
    path = event["parameters"]["path"]
    if event["parameters"].get("hang"):
        time.sleep(3600)
    if event["parameters"].get("crash"):
        os._exit(3)
    context.update_state("runs", (context.get_state("runs") or 0) + 1)
    with open(path) as handle:
        resources = json.load(handle)
    context.log(f"listed {len(resources)} resources from the file")
    return resources
