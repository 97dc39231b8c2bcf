"""The usage streams, in the order `sync --all` runs them (filled in by the sync work)."""

STREAMS: list = []
