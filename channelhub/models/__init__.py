"""The core app's models (label `channelhub`), one module per concern:

- `mirror`: `MirroredModel`, the base of every mirrored upstream object, and
  `ReconciledMirror` (with `gone_at`/`gone_reason`, one `GoneReason`) for collections a sync
  reads whole and reconciles;
- `engine`: the sync engine's `StreamState` and `SyncRun`;
- `outbox`: `UpstreamAction` (what staff asked an upstream to do) and `AuditEvent`;
- `tokens`: the read API's `ApiToken`;
- `fields`: field helpers for mirrored models (`mirror_fk`, `string`, `ref`, `when`).
"""

from .engine import StreamState, SyncRun, SyncRunStatus, SyncTrigger
from .mirror import GoneReason, MirroredModel, ReconciledMirror
from .outbox import ActionStatus, AuditEvent, UpstreamAction
from .tokens import ApiToken

__all__ = [
    "ActionStatus",
    "ApiToken",
    "AuditEvent",
    "GoneReason",
    "MirroredModel",
    "ReconciledMirror",
    "StreamState",
    "SyncRun",
    "SyncRunStatus",
    "SyncTrigger",
    "UpstreamAction",
]
