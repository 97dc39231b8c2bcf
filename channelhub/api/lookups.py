"""Text lookups that an index serves on SQLite and PostgreSQL alike: the read API's filters and the
admin's search boxes use these instead of `startswith` / `icontains`.

Django's `startswith` is `LIKE 'x%'` everywhere. PostgreSQL answers it from the `_like`
(`varchar_pattern_ops`) index Django adds beside every indexed or unique CharField; SQLite's
LIKE is case-insensitive, so it can only use an index declared `COLLATE NOCASE` and scans the
table otherwise. Hence:

- `prefix` (case-sensitive, for upstream ids): `LIKE 'x%'` on PostgreSQL, `GLOB 'x*'` on SQLite
  (GLOB is case-sensitive: SQLite answers it from the column's plain index).
- `istartswith` / `iexact` (case-insensitive, for names): Django's own lookups, served by a
  case-insensitive index that fulfillment's migration 0010 creates per database
  (`(col COLLATE NOCASE)` on SQLite, `(UPPER(col::text) text_pattern_ops)` on PostgreSQL:
  exactly the expression Django's lookups compare). The models name these columns in comments.
"""

from __future__ import annotations

from django.db.models import CharField, F
from django.db.models.lookups import StartsWith

__all__ = ["Prefix", "glob_prefix", "prefix"]

_GLOB_SPECIAL = frozenset("*?[")


def glob_prefix(value: str) -> str:
    """The GLOB pattern of "starts with `value`": its wildcards matched literally, then `*`."""
    return "".join(f"[{c}]" if c in _GLOB_SPECIAL else c for c in value) + "*"


class Prefix(StartsWith):
    """`field__prefix="PR-1895"`: case-sensitive "starts with", answered by the column's index."""

    lookup_name = "prefix"

    def get_rhs_op(self, connection, rhs):
        """The backend's own `startswith` operator (Django keys operators by lookup name)."""
        if self.rhs_is_direct_value() and not self.bilateral_transforms:
            return connection.operators["startswith"] % rhs
        return connection.pattern_ops["startswith"].format(rhs)

    def as_sqlite(self, compiler, connection):
        """`col GLOB 'value*'`: case-sensitive, so SQLite walks the column's plain index."""
        if not self.rhs_is_direct_value() or self.bilateral_transforms:
            return self.as_sql(compiler, connection)
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs_sql} GLOB %s", [*lhs_params, glob_prefix(str(self.rhs))]


CharField.register_lookup(Prefix)


def prefix(field: str, value: str) -> Prefix:
    """`Prefix` on any string column, a foreign key's too (`prefix("asset_id", "AS-1895")`), for
    `filter()` / `Q()`: relations take only their own lookups, so `asset_id__prefix` is not one."""
    return Prefix(F(field), value)
