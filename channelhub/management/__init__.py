"""Management commands of the core (in `commands/`) and their shared base (`base.py`)."""
