"""A migration operation for indexes on big tables that the running code keeps writing to.

`AddIndexOnline`: on PostgreSQL, `CREATE INDEX CONCURRENTLY` (Django's `AddIndexConcurrently`:
writes go on while it builds, so a release can migrate while the old workers run,
docs/operations.md "Upgrades"); on SQLite, the plain `CREATE INDEX` (one process, nothing to
wait for). The migration that uses it sets `atomic = False`, as a concurrent build needs.
"""

from __future__ import annotations

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db.migrations.operations import AddIndex


class AddIndexOnline(AddIndexConcurrently):
    """`AddIndex` that builds concurrently on PostgreSQL, plainly elsewhere."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        """Concurrently on PostgreSQL; `AddIndex`'s plain build elsewhere."""
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        """Dropped concurrently on PostgreSQL; plainly elsewhere."""
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)
