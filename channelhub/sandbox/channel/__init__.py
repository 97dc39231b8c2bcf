"""The fake Google Cloud Channel API: /v1/... (discovery-document paths, LROs, Google error
envelope), its OAuth token endpoint /token, its seed, its life and its knobs
(/_sandbox/channel). See docs/sandbox.md, "Cloud Channel".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from ..module import BaseModule
from . import actions, collections, life, seed, transfers
from .auth import Tokens, authenticate, token_endpoint, write_service_account
from .knobs import KnobBox
from .routes import Call, route
from .wire import ACCOUNT, ACCOUNT_ID, ADMIN_EMAIL, SCOPE, GoogleError, error_response

METHODS = ["GET", "POST", "PATCH", "PUT", "DELETE"]


class ChannelModule(BaseModule):
    """A `SandboxModule` (module.py) with every hook: `owns(path)` / `error_response(...)`
    (errors in the Google envelope for its paths, faults included), `control(method, body)`
    (GET/POST/DELETE /_sandbox/channel), `on_reset()` (knobs back to defaults; tokens kept),
    `on_serve(server)` (writes the service-account file) and `server_attributes(server)`
    (`channel_url`, `channel_account_id`, `channel_admin_email`, `channel_credentials_path`)."""

    name = "channel"
    title = "Channel"
    collections = collections.ALL

    def __init__(self):
        self.knobs = KnobBox()
        self.tokens = Tokens()
        # what operations run: the entitlement and customer actions plus the transfer ones, which read the
        # knobs (tos_pending_products)
        self.actions = {**actions.ACTIONS, **transfers.actions_for(self.knobs)}
        self._store = None  # the server's store, known from on_serve (describe lists foreign customers)

    # -- the module protocol
    def rules(self) -> list[Rule]:
        """Every /v1 call goes to `v1` (which routes it itself, routes/__init__.py); /token to the OAuth
        endpoint."""
        return [
            Rule("/v1/<path:rest>", endpoint=self.v1, methods=METHODS),
            Rule("/token", endpoint=self.token, methods=["POST"]),
        ]

    def seed(self, session, seed_value: int, scale: int) -> dict:
        """The seeded Channel world (seed.py); returns its counts."""
        return seed.seed(session, seed_value, scale)

    def tick(self, session, rng) -> dict:
        """Trials ending, seats moving, terms accepted, now and then a new customer or entitlement or one
        transferred away (life.py)."""
        return life.tick(session, rng)

    # -- hooks
    def owns(self, path: str) -> bool:
        """/v1/... and /token: errors there come in the Google envelope."""
        return path == "/token" or path == "/v1" or path.startswith("/v1/")

    def error_response(self, status: int, message: str, headers: dict | None = None) -> Response:
        """The Google error envelope for a status the core chose (a fault, 404, 405, a crash)."""
        return error_response(status, message, headers)

    def control(self, method: str, body: dict) -> dict:
        """/_sandbox/channel: POST/PUT merges knobs (and `revoke_tokens`), DELETE puts them back to defaults;
        answers the knobs."""
        if method in ("POST", "PUT"):
            self.knobs.update(body)
            if body.get("revoke_tokens"):
                self.tokens.revoke_all()
        elif method == "DELETE":
            self.knobs.reset()
        return self.describe()

    def describe(self) -> dict:
        """The knobs, the account, the admin to impersonate, the scope, how many tokens are live and the
        first customers held elsewhere with their auth tokens (to play the customer who hands one over)."""
        return {
            **self.knobs.describe(),
            "account": ACCOUNT,
            "admin_email": ADMIN_EMAIL,
            "scope": SCOPE,
            "active_tokens": self.tokens.count(),
            "transferable_customers": self._transferable_customers(),
        }

    def _transferable_customers(self, limit: int = 20) -> list[dict]:
        if self._store is None:
            return []
        with self._store.session() as session, session.snapshot():
            return transfers.described(session, limit)

    def on_reset(self) -> None:
        """Knobs back to their defaults; issued tokens stay valid."""
        self.knobs.reset()

    def on_serve(self, server) -> None:
        """Write the service-account key file, whose token_uri is this server's /token; keep the server's
        store for describe()."""
        self._store = getattr(getattr(server, "app", None), "store", None)
        write_service_account(credentials_path(server), f"{server.url}/token")

    def server_attributes(self, server) -> dict[str, Any]:
        """`channel_url`, `channel_account_id`, `channel_admin_email` and `channel_credentials_path`."""
        return {
            # Cloud Channel's api_endpoint (client_options={"api_endpoint": ...}): the root URL
            "channel_url": server.url,
            "channel_account_id": ACCOUNT_ID,
            # the reseller admin the service account impersonates (`with_subject`)
            "channel_admin_email": ADMIN_EMAIL,
            "channel_credentials_path": credentials_path(server),
        }

    def banner(self, server) -> list[str]:
        """The /v1 root, the account and the admin to impersonate, and the service-account key file."""
        return [
            f"{server.url}/v1  (account {ACCOUNT}, impersonate {ADMIN_EMAIL})",
            f"service-account key file: {credentials_path(server)}  (token_uri {server.url}/token)",
        ]

    # -- endpoints
    def v1(self, ctx, request: Request, rest: str) -> Response:
        """A /v1 call: check the bearer token, route by method and path, answer GoogleErrors in their
        envelope."""
        try:
            grant = authenticate(self.tokens, request)
            handler, values = route(request.method, rest)
            return handler(Call(self, ctx, request, grant, values))
        except GoogleError as exc:
            return exc.response()

    def token(self, ctx, request: Request) -> Response:
        """POST /token: google-auth's jwt-bearer grant (auth.py)."""
        return token_endpoint(self.tokens, request, self.knobs.get().token_ttl_seconds)


def credentials_path(server) -> Path:
    """The service-account key file, written at start beside the state (its token_uri is the
    server's /token, so it changes with the port)."""
    return Path(f"{server.state_path}.channel-sa.json")


__all__ = ["ACCOUNT", "ACCOUNT_ID", "ADMIN_EMAIL", "SCOPE", "ChannelModule", "write_service_account"]
