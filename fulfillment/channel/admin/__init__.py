"""Read-only admin of the Cloud Channel mirror, with the Channel staff actions.

Same patterns as the Connect side (fulfillment.connect.admin): rows are never edited here; staff act
through small forms on the detail pages (entitlements, customers, partner links) and the
create form on the customer changelist, each POSTing to an admin view that only calls a
service of `fulfillment.channel.services`; the page then shows the action's progress (the
shared poller), Retry/Cancel for supervisors, and the audit trail. Changelists never COUNT a
big table, defer the JSON columns and search on indexed columns only. Channel resource names
are case-sensitive, so ids are matched as typed.

Upstream text (organisation names, offer descriptions, addresses, error messages) reaches
the page through auto-escaping only; nothing here marks upstream data safe.
"""

from . import catalog, customers, entitlements  # noqa: F401  - each registers its admins
