"""The CMP feed's HTTP API under /cmp/api (docs/sandbox.md, "The CMP inventory feed"):

    GET /cmp/api/accounts                                   [{"id", "name", "resources"}]
    GET /cmp/api/accounts/<account>/resources?page=&per_page=   nflex serialized resources, by (type, id)
    GET /cmp/api/accounts/<account>/metrics?since=&until=       {"metrics": [...], "last_update": until}

`Authorization: Bearer <token>`: the `token` knob has every right, `limited_token` is valid but
403 everywhere, anything else 401. Errors are `{"error": <name>, "message": <text>}`.
"""

from __future__ import annotations

import hmac
import json
import random

from werkzeug.routing import Rule

from channelhub.sandbox.common import dumps, json_response, raw_json_response

from . import life, metrics, world

DEFAULT_PER_PAGE, MAX_PER_PAGE = 100, 1000
ERROR_NAMES = {
    400: "BadRequest",
    401: "InvalidCredentials",
    403: "InsufficientPermission",
    404: "NotFound",
    405: "MethodNotAllowed",
    429: "TooManyRequests",
    500: "InternalServerError",
    502: "BadGateway",
    503: "ServiceUnavailable",
}


def error_response(status: int, message: str, headers: dict | None = None, error: str | None = None):
    """The feed's error body, `{"error", "message"}`, named by the status unless `error` is given."""
    name = error or ERROR_NAMES.get(status, "Error")
    return json_response({"error": name, "message": message}, status, headers)


class CmpError(Exception):
    """An error answered in the feed's format."""

    def __init__(self, status: int, message: str, error: str | None = None):
        super().__init__(message)
        self.status, self.message, self.error = status, message, error

    def response(self):
        """The error as a response."""
        return error_response(self.status, self.message, error=self.error)


def _int_arg(request, name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise CmpError(400, f"{name} must be a positive integer, not {raw!r}.") from None
    if value < 1:
        raise CmpError(400, f"{name} must be a positive integer, not {raw!r}.")
    return value


class Routes:
    """The handlers, over the module's state and knobs."""

    def __init__(self, state, knobs):
        self.state = state
        self.knobs = knobs

    def rules(self) -> list[Rule]:
        """The feed's three GET routes."""
        return [
            Rule("/cmp/api/accounts", endpoint=self._endpoint(self.accounts), methods=["GET"]),
            Rule(
                "/cmp/api/accounts/<account>/resources",
                endpoint=self._endpoint(self.resources),
                methods=["GET"],
            ),
            Rule(
                "/cmp/api/accounts/<account>/metrics", endpoint=self._endpoint(self.metrics), methods=["GET"]
            ),
        ]

    def _endpoint(self, handler):
        def serve(ctx, request, **values):
            try:
                self.state.bind(ctx.store.path)
                self._authorise(request)
                return handler(ctx, request, **values)
            except CmpError as exc:
                return exc.response()

        serve.__name__ = handler.__name__
        return serve

    def _authorise(self, request) -> None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() == "bearer" and token:
            if hmac.compare_digest(token, self.knobs.get("token")):
                return
            if hmac.compare_digest(token, self.knobs.get("limited_token")):
                raise CmpError(403, "Insufficient permission")
        raise CmpError(401, "Invalid Credentials")

    @staticmethod
    def _require_account(session, account: str) -> None:
        if session.get_raw("cmp_accounts", account) is None:
            raise CmpError(404, f"Account {account} not found.")

    def accounts(self, ctx, request):
        """Every account with its resource count (0 for a blank one)."""
        blank = set(self.knobs.get("blank_accounts"))
        with self.state.session() as session, session.snapshot():
            counts = dict(
                session.conn.execute("SELECT account, COUNT(*) FROM cmp_resources GROUP BY account")
            )
            rows = [
                json.loads(r[0]) for r in session.conn.execute("SELECT doc FROM cmp_accounts ORDER BY id")
            ]
        return json_response(
            [
                {
                    "id": a["id"],
                    "name": a["name"],
                    "resources": 0 if a["id"] in blank else counts.get(a["id"], 0),
                }
                for a in rows
            ]
        )

    def resources(self, ctx, request, account: str):
        """One page of the account's resources, `last_seen_at` stamped now; `[]` past the end."""
        page = _int_arg(request, "page", 1)
        per_page = min(_int_arg(request, "per_page", DEFAULT_PER_PAGE), MAX_PER_PAGE)
        with self.state.session() as session:
            self._require_account(session, account)
            churn = ctx.faults.churn_for(request.path)
            if churn:  # the `churn` fault: the upstream changes while the client pages
                with session.write():
                    rng = random.Random()
                    life.change(session, rng, account, churn)
                    life.appear(session, rng, account, 1)
            if account in self.knobs.get("blank_accounts"):
                total, rows = 0, []
            else:
                with session.snapshot():
                    total = session.scalar("SELECT COUNT(*) FROM cmp_resources WHERE account = ?", (account,))
                    rows = session.conn.execute(
                        "SELECT doc FROM cmp_resources WHERE account = ? ORDER BY rtype, rid LIMIT ? OFFSET ?",
                        (account, per_page, (page - 1) * per_page),
                    ).fetchall()
        stamp = world.now_stamp()
        docs = []
        for (raw,) in rows:
            doc = json.loads(raw)
            doc["base"]["last_seen_at"] = stamp
            docs.append(doc)
        headers = {"x-total-count": str(total), "x-page": str(page), "x-per-page": str(per_page)}
        return raw_json_response(dumps(docs), headers=headers)

    def metrics(self, ctx, request, account: str):
        """The account's server and volume samples in [since, until) (at most 24 hours)."""
        try:
            since = metrics.parse_time(request.args.get("since"), "since")
            until = metrics.parse_time(request.args.get("until"), "until")
        except ValueError as exc:
            raise CmpError(400, str(exc)) from None
        if until < since:
            raise CmpError(400, "until must not be before since.")
        if until - since > metrics.MAX_WINDOW:
            raise CmpError(400, "The window from since to until is at most 24 hours.")
        with self.state.session() as session, session.snapshot():
            self._require_account(session, account)
            seed = (session.meta("cmp", {}) or {}).get("seed", 1)
            docs = []
            if account not in self.knobs.get("blank_accounts"):
                docs = life.docs_of(session, account, "server") + life.docs_of(session, account, "volume")
        samples = metrics.samples(seed, account, docs, since, until)
        return json_response({"metrics": samples, "last_update": metrics.format_time(until)})
