"""Read-only admin of the Connect fulfillment mirror: the support team's window on Connect.

Rows are never edited here (syncs write them). Staff act on requests and tier config requests
through small action forms on their detail pages and bulk actions on the requests changelist;
each form POSTs to an admin view that only calls a service of `fulfillment.connect.services` (which
checks role, transition and input, and queues an outbox action) and shows the service's
message when it refuses. The page then shows the action's progress and the audit trail.
Changelists of the big tables (requests, assets, TCRs, messages) stay
fast at any size: no full COUNT (`BoundedCountPaginator`, `show_full_result_count=False`,
no facets), heavy JSON columns deferred, filters whose choices come from the small tables
or a bounded DISTINCT over an index, and search by exact ids/external ids on indexed
columns instead of `icontains` scans.

Upstream text reaches the page escaped, or as the `*_html` columns the mappers rendered
and sanitised (`channelhub.markdown`); templates mark only those safe.
"""

from . import automation, catalog, conversations, requests, tiers  # noqa: F401  - each registers its admins
