"""CloudBlue Connect in the fulfillment app: products, templates, marketplaces, hubs, tier
accounts, assets and their fulfillment requests, tier configs and their requests, conversations.

Same skeleton as `fulfillment.channel`: `models`, `choices`, `mappers`, `streams` (with
Connect's reading strategies in `reading`), `transitions`, `services`, `executors`, `forms`,
`filters`, `api`, `admin`, `display` (with `shapes`), and `registration` (what it declares to
the core). Django finds the models through the app's `fulfillment.models` face.
"""
