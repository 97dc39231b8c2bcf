"""Channel's endpoint table, where the skeleton test finds it (every `tests/**/endpoints.py`):
the list routes under /api/v1/channel/ with a factory each (test_channel_api.py)."""

from .test_channel_api import ENDPOINTS

PREFIX = "channel/"

__all__ = ["ENDPOINTS", "PREFIX"]
