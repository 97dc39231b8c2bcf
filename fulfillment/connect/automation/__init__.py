"""Connect's part of automation (channelhub.automation): requests and tier config requests as
subjects, and the processors it ships (registered from `fulfillment.connect.registration`)."""

from .processors import PurchaseRulesProcessor, TierSetupProcessor
from .sdk_example import FulfillmentExample
from .subjects import REQUESTS, TIER_CONFIG_REQUESTS

SUBJECTS = (REQUESTS, TIER_CONFIG_REQUESTS)
PROCESSORS = (PurchaseRulesProcessor, TierSetupProcessor, FulfillmentExample)
