"""Google Cloud Channel in the fulfillment app: customers, entitlements (with their
long-running operations), offers, products/SKUs, channel partner links and entitlement history.

Same skeleton as `fulfillment.connect`: `models`, `choices`, `mappers`, `streams`,
`transitions`, `services`, `executors`, `forms`, `filters`, `api`, `admin`, `display`, and
`registration` (what it declares to the core). Django finds the models through the app's
`fulfillment.models` face.
"""
