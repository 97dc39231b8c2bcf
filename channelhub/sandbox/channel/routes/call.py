"""What every /v1 handler gets (`Call`), the path patterns the router and handlers share, and
the list-reply helper."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from werkzeug.wrappers import Request, Response

from ...store import Session
from .. import operations, paging
from ..auth import Grant
from ..wire import ACCOUNT, check_request_id, reply

SEG = r"[^/:]+"
A = rf"accounts/(?P<account>{SEG})"
CUSTOMER = rf"{A}/customers/(?P<customer>{SEG})"
ENTITLEMENT = rf"{CUSTOMER}/entitlements/(?P<entitlement>{SEG})"
LINK = rf"{A}/channelPartnerLinks/(?P<link>{SEG})"


@dataclass
class Call:
    """One API call: the module (for its knobs), the app context (for sessions), the request, the
    caller's grant and the path's named groups."""

    module: object
    ctx: object
    request: Request
    grant: Grant
    values: dict[str, str]

    def session(self):
        """A store session for this call."""
        return self.ctx.session()

    @property
    def empty_page_every(self) -> int:
        """The `empty_page_every` knob now."""
        return self.module.knobs.get().empty_page_every

    def name(self, kind: str) -> str:
        """The resource name (customer, entitlement or link) the call's path names, in our account."""
        v = self.values
        names = {
            "customer": f"{ACCOUNT}/customers/{v.get('customer')}",
            "entitlement": f"{ACCOUNT}/customers/{v.get('customer')}/entitlements/{v.get('entitlement')}",
            "link": f"{ACCOUNT}/channelPartnerLinks/{v.get('link')}",
        }
        return names[kind]

    def page(self, session: Session, coll, limits, **kwargs) -> paging.Page:
        """One page of `coll` for this request (pageSize, pageToken, the empty-page knob)."""
        return paging.paginate(
            session, coll, self.request, limits, empty_page_every=self.empty_page_every, **kwargs
        )

    @property
    def actions(self) -> dict[str, operations.Action]:
        """The module's actions (actions.ACTIONS and the transfer ones bound to its knobs)."""
        return self.module.actions

    def submit(self, operation_type: str, target: str, payload: dict, body: dict) -> Response:
        """Accept a long-running operation (requestId checked and deduplicated) and answer the Operation."""
        request_id = check_request_id(body.get("requestId"))
        with self.session() as session:
            operation = operations.submit(
                session,
                self.module.knobs,
                self.actions,
                operation_type=operation_type,
                target=target,
                payload=payload,
                operator=self.grant.subject,
                body=body,
                request_id=request_id,
            )
        return reply(operation)


def page_reply(page: paging.Page, key: str, transform: Callable[[dict], dict] | None = None) -> Response:
    """A list reply: the items under `key` (omitted when empty, as proto3 JSON does) and nextPageToken."""
    items = [transform(doc) for doc in page.items] if transform else page.items
    out = {key: items} if items else {}
    if page.next_token:
        out["nextPageToken"] = page.next_token
    return reply(out)
