"""The API's router: paths as Connect writes them (no trailing slash), a trailing slash accepted."""

from rest_framework.routers import SimpleRouter


class OptionalSlashRouter(SimpleRouter):
    """`/requests` and `/requests/` both resolve: OAC sends no slash, the legacy SDK sometimes one."""

    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"
