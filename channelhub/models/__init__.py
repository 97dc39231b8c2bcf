"""The core app's models (label `channelhub`), one module per concern:

- `mirror`: `MirroredModel`, the base of every mirrored upstream object, and
  `ReconciledMirror` (with `gone_at`/`gone_reason`, one `GoneReason`) for collections a sync
  reads whole and reconciles;
- `engine`: the sync engine's `StreamState`, `SyncRun` and `ListedKey` (keys a run listed,
  for `ListedAsideMirror` models: reconciled without stamping each row);
- `outbox`: `UpstreamAction` (what staff asked an upstream to do) and `AuditEvent`;
- `tokens`: the read API's `ApiToken`;
- `dashboard`: `QueueTarget`, the target age (SLA) of a dashboard queue;
- `automation`: `ProcessorSetting`, `AutomationTask`, `Takeover` (channelhub.automation);
- `fields`: field helpers for mirrored models (`mirror_fk`, `string`, `ref`, `when`).
"""

from .automation import AutomationTask, ProcessorSetting, Takeover, TaskStatus
from .dashboard import QueueTarget
from .engine import ListedKey, StreamState, SyncRun, SyncRunStatus, SyncTrigger
from .mirror import GoneMixin, GoneReason, ListedAsideMirror, MirroredModel, ReconciledMirror
from .outbox import ActionStatus, AuditEvent, UpstreamAction
from .tokens import ApiToken

__all__ = [
    "ActionStatus",
    "ApiToken",
    "AuditEvent",
    "AutomationTask",
    "GoneMixin",
    "GoneReason",
    "ListedAsideMirror",
    "ListedKey",
    "MirroredModel",
    "ProcessorSetting",
    "QueueTarget",
    "ReconciledMirror",
    "StreamState",
    "SyncRun",
    "SyncRunStatus",
    "SyncTrigger",
    "Takeover",
    "TaskStatus",
    "UpstreamAction",
]
