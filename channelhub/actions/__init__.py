"""The outbox: staff actions recorded, then sent upstream exactly once by a worker, with an audit trail."""
