"""Running nflex connector modules (third-party code) in a child process, with limits.

`inventory.connectors.runner` is the parent's side (`ConnectorCall`, `run_connector`,
`ConnectorRun`); `inventory.connectors.errors` has `ConnectorFailed`; `inventory.connectors.child`
is the program run in the child. This package imports nothing itself: the child imports it on
its way to `child`, and must stay free of Django and of the rest of channelhub.
"""
