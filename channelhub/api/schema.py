"""OpenAPI schema generation (drf-spectacular) that documents each endpoint's RQL."""

from dj_rql.drf import RQLFilterBackend
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema


class RQLAutoSchema(AutoSchema):
    """Adds to each list operation how to query it: filters, orderings, search, select.

    The filters themselves are also query parameters of the operation (django-rql's
    backend describes each one with its lookups).
    """

    def get_description(self):
        """The view's description plus, for a list, its RQL: filters, orderings, search and paging."""
        description = super().get_description() or ""
        view = self.view
        filter_class = RQLFilterBackend.get_filter_class(view)
        if filter_class is None or getattr(view, "action", None) != "list":
            return description
        instance = filter_class(filter_class.MODEL._default_manager.none())
        visible = sorted(n for n, item in instance.filters.items() if not _hidden(item))
        lines = [
            description,
            "",
            "**RQL** (https://connect.cloudblue.com/community/api/rql/), e.g. "
            "`and(eq(status,pending),ge(created,2024-01-01T00:00:00+00:00))&ordering(-created)&limit=100`.",
            "",
            f"**Filters:** {', '.join(f'`{n}`' for n in visible)}.",
            f"**ordering():** {', '.join(f'`{n}`' for n in sorted(instance.ordering_filters)) or 'none'}.",
            f"**search=** matches (case-insensitive substring): "
            f"{', '.join(f'`{n}`' for n in sorted(instance.search_filters)) or 'nothing'}.",
            "**select(-a.b)** removes a property from each object.",
            "Pagination: `limit` (0..1000) and `offset`; the total is in `Content-Range: items <first>-<last>/<total>`.",
        ]
        return "\n".join(lines)


def _hidden(item):
    item = item[0] if isinstance(item, list) else item
    return item.get("hidden", False)


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Documents `BearerTokenAuthentication` in the schema as HTTP bearer auth."""

    target_class = "channelhub.api.authentication.BearerTokenAuthentication"
    name = "bearer"

    def get_security_definition(self, auto_schema):
        """The OpenAPI security scheme: HTTP bearer with an API token."""
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token (`manage.py issue_api_token`).",
        }


class StaffSessionScheme(OpenApiAuthenticationExtension):
    """Documents `StaffSessionAuthentication` in the schema as the admin's session cookie."""

    target_class = "channelhub.api.authentication.StaffSessionAuthentication"
    name = "staffSession"

    def get_security_definition(self, auto_schema):
        """The OpenAPI security scheme: the `sessionid` cookie of a staff admin session."""
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": "sessionid",
            "description": "A staff admin session.",
        }
