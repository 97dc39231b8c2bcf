"""The core app's admin and the kit every app's admin is built from.

- `kit`: `ReadOnlyAdminMixin`, `BoundedCountPaginator`, `status_badge`, `HiddenByDefaultFilter`,
  `pretty_json`, `short_name` (re-exported here);
- `mirror`: `MirrorAdmin` (read-only, lean lists, indexed search) and `SmallTableFilter`;
- `actions`: `StaffActionsMixin` (action forms, progress and audit on a detail page);
- the core's own admins: `engine` (sync runs, stream states, a stream's run-now), `outbox`
  (upstream actions, audit events), `automation` (the processors page, automation tasks, take over), `schedules` (django-q's, made safe), `targets` (the
  dashboard's queue targets) and the API tokens' (`channelhub.api.admin`).
"""

from channelhub.admin.kit import (
    STATUS_COLOURS,
    BoundedCountPaginator,
    HiddenByDefaultFilter,
    ReadOnlyAdminMixin,
    pretty_json,
    short_name,
    status_badge,
)

__all__ = [
    "STATUS_COLOURS",
    "BoundedCountPaginator",
    "HiddenByDefaultFilter",
    "ReadOnlyAdminMixin",
    "pretty_json",
    "short_name",
    "status_badge",
]

# The core's own admins register themselves on import (Django's autodiscovery imports this
# package only); the API token admin lives with the API plumbing.
from channelhub.admin import automation, engine, outbox, schedules, targets  # noqa: E402, F401, I001
from channelhub.api import admin as _api_admin  # noqa: E402, F401
