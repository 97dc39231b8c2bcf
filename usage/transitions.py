"""The usage app's staff actions: one `ActionSpec` each (filled in by the actions work)."""

ACTIONS: list = []
