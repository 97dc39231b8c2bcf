"""Admin of the inventory app: the staff's window on CMP resources and their sources.

Resources and their child rows (metadata, IP addresses, connections) are read-only mirrors
(`MirrorAdmin`): passes write them. A resource's page shows its details in words, its
connections both ways, a picture of its neighbourhood and its metrics, drawn on the server.
Metric samples are a read-only list; metric mappings are edited by whoever the roles allow
(supervisors). The sources' admin (`sources`) runs, dry-runs, confirms and discards passes.

Big tables stay fast: `BoundedCountPaginator`, no full result count, no facets, payloads
deferred, filters and search on indexed columns only (a search by IP address or metadata value
resolves to resource ids through the child table's index first). Upstream text reaches the page
escaped (autoescape, `format_html`); nothing of upstream is marked safe.
"""

from . import metrics, resources, sources  # noqa: F401  - each registers its admins
