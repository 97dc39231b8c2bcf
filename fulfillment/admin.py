"""The fulfillment app's admin: Connect's (`fulfillment.connect.admin`) and Cloud Channel's
(`fulfillment.channel.admin`). Django's autodiscovery imports this module; each registers its own."""

from fulfillment.channel import admin as _channel  # noqa: F401
from fulfillment.connect import admin as _connect  # noqa: F401
