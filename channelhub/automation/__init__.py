"""Automation: processors that decide on mirrored objects, run by channelhub beside staff.

- `contract`: `Processor`, `Decision`, the legacy SDK's exceptions, `ReadOnlyView`;
- `subjects`: `Subject`, what an app declares for each model processors decide on;
- `processors`: the registered processors and their settings (on, dry run, off per product);
- `triggers`: tasks queued when the sync brings a changed row in a subscribed status;
- `runner`: a due task run (fresh read, time limit, decision, outbox action, retries);
- `services`: enable, disable, take over, release (audited); `selectors`: the reads pages show.

docs/automation.md is the guide.
"""
