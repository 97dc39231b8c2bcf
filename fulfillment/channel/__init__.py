"""Google Cloud Channel in the fulfillment app: customers, entitlements (with their
long-running operations), offers, products/SKUs, channel partner links and entitlement history.

The Connect side of the app lives at the package top level (`fulfillment.models`,
`fulfillment.streams`, ...); the Channel side sits in this package with the same skeleton:
`choices`, `mappers`, `streams`, `services`, `executors`, `api`. Its models are in
`fulfillment.models.channel` so that Django finds them with the rest of the app.
"""
