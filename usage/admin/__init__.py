"""Admin of the usage app: the staff's window on Connect usage and billing, and our imports.

Mirrors (usage files, records, chunks, listings, recurring assets, billing requests) are
read-only: syncs write them, staff act through the action forms on a file's or billing
request's page (`StaffActionsMixin`: the specs of `usage.transitions`, the services check
role and transition). Our own imports, reports and report rows are edited here: a workbook
or CSV is uploaded on the import "add" page, bad rows are fixed, a report is validated
again and sent.

Big tables stay fast: `BoundedCountPaginator`, no full result count, no facets, payloads
deferred, filters and search on indexed columns only; a file's records on its page are paged
the same way. Upstream text reaches the page escaped (autoescape, `format_html`); nothing of
upstream is marked safe.
"""

from . import automation, billing, files, reports  # noqa: F401  - each registers its admins
