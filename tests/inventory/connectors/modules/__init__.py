"""Real nflex connector modules the runner tests run in child processes (by dotted path)."""

PACKAGE = __name__
