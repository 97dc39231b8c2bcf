"""Management commands of the usage app."""
