"""Connect read endpoints under /public/v1: lists (RQL, limit/offset, Content-Range), details,
sub-collections. Actions are in actions.py."""

from __future__ import annotations

import json
import random
from functools import wraps

from werkzeug.routing import Rule

from .. import rql
from ..common import ApiError, dumps, not_found, raw_json_response
from . import actions, life
from .records import find_conversation

PREFIX = "/public/v1"

UNAUTHORIZED = ApiError(401, "AUTH_001", "API request is unauthorized.")


def authenticated(handler):
    """Wrap a handler so that a request without `Authorization: ApiKey <key>` is Connect's 401 AUTH_001."""

    @wraps(handler)
    def wrapper(ctx, request, **values):
        header = request.headers.get("Authorization", "")
        scheme, _, key = header.partition(" ")
        if scheme != "ApiKey" or not key.strip():
            raise UNAUTHORIZED
        return handler(ctx, request, **values)

    return wrapper


def content_range(offset: int, count: int, total: int) -> str:
    """Connect's `Content-Range: items a-b/total` for a page."""
    if count == 0:
        return f"items {offset}-{offset}/{total}"
    return f"items {offset}-{offset + count - 1}/{total}"


def _drop(node, parts):
    if isinstance(node, list):
        for element in node:
            _drop(element, parts)
        return
    if not isinstance(node, dict) or not parts:
        return
    if len(parts) == 1:
        node.pop(parts[0], None)
    else:
        _drop(node.get(parts[0]), parts[1:])


def apply_select(raw_docs: list[str], query: rql.Query) -> list[str]:
    """The page's documents without the properties `select(-...)` excludes (untouched when there are none)."""
    exclusions = [e.split(".") for e in query.exclusions]
    if not exclusions:
        return raw_docs
    out = []
    for raw in raw_docs:
        doc = json.loads(raw)
        for parts in exclusions:
            _drop(doc, parts)
        out.append(dumps(doc))
    return out


def list_response(ctx, request, collection: str, *, where=None, params=(), transform=None):
    """A Connect list: the RQL query of the request over `collection` (optionally within a SQL scope), with
    Content-Range; runs the `churn` fault first."""
    query = rql.parse(request.environ.get("QUERY_STRING", ""))
    churn = ctx.faults.churn_for(request.path)
    with ctx.session() as session:
        if churn:
            with session.write():
                life.churn(session, collection, churn, random.Random())
        total, docs = session.list(collection, query, where=where, params=params)
    docs = apply_select(docs, query)
    if transform is not None:
        docs = [dumps(transform(json.loads(d))) for d in docs]
    headers = {"Content-Range": content_range(query.offset, len(docs), total)}
    return raw_json_response("[" + ",".join(docs) + "]", 200, headers)


def detail_response(ctx, collection: str, ident: str, what: str):
    """One stored document of `collection` as it is, or Connect's 404 naming `what`."""
    with ctx.session() as session:
        raw = session.get_raw(collection, ident)
    if raw is None:
        raise not_found(what, ident)
    return raw_json_response(raw)


def collection_views(path: str, collection: str, what: str):
    """The list and detail routes of a plain collection at `path`."""

    @authenticated
    def list_view(ctx, request):
        return list_response(ctx, request, collection)

    @authenticated
    def detail_view(ctx, request, ident):
        return detail_response(ctx, collection, ident, what)

    return [
        Rule(PREFIX + path, endpoint=list_view, methods=["GET"]),
        Rule(PREFIX + path + "/<ident>", endpoint=detail_view, methods=["GET"]),
    ]


# -- sub-collections and special details


def _require(session, collection, ident, what):
    if session.get_raw(collection, ident) is None:
        raise not_found(what, ident)


@authenticated
def asset_requests(ctx, request, ident):
    """GET /assets/{id}/requests: the asset's requests as Connect's short references."""
    with ctx.session() as session:
        _require(session, "assets", ident, "Asset")

    def reference(doc):
        assignee = doc.get("assignee") or {}
        return {
            "id": doc["id"],
            "type": doc["type"],
            "status": doc["status"],
            "events": {"created": {"at": doc["created"]}, "updated": {"at": doc["updated"]}},
            "assignee": {"id": assignee.get("id"), "name": assignee.get("name")} if assignee else {},
        }

    return list_response(ctx, request, "requests", where="asset_id = ?", params=(ident,), transform=reference)


def product_children(collection, what):
    """The list and detail views of a product's templates, items or parameters (404 for an unknown product)."""

    @authenticated
    def list_view(ctx, request, pid):
        with ctx.session() as session:
            _require(session, "products", pid, "Product")
        return list_response(ctx, request, collection, where="product_id = ?", params=(pid,))

    @authenticated
    def detail_view(ctx, request, pid, ident):
        with ctx.session() as session:
            _require(session, "products", pid, "Product")
            row = session.conn.execute(
                f"SELECT doc FROM {collection} WHERE id = ? AND product_id = ?", (ident, pid)
            ).fetchone()
        if row is None:
            raise not_found(what, ident)
        return raw_json_response(row[0])

    return list_view, detail_view


@authenticated
def conversation_detail(ctx, request, ident):
    """GET /conversations/{id}: by CO-... id or by the id of the object it is about."""
    with ctx.session() as session:
        doc = find_conversation(session, ident)
    if doc is None:
        raise not_found("Conversation", ident)
    return raw_json_response(dumps(doc))


@authenticated
def conversation_messages(ctx, request, ident):
    """GET lists a conversation's messages, POST adds one."""
    with ctx.session() as session:
        doc = find_conversation(session, ident)
    if doc is None:
        raise not_found("Conversation", ident)
    if request.method == "POST":
        return actions.post_message(ctx, request, doc["id"])
    return list_response(ctx, request, "messages", where="conversation_id = ?", params=(doc["id"],))


def rules() -> list[Rule]:
    """Every Connect route: collections, details, sub-collections and actions."""
    out = []
    for path, collection, what in [
        ("/requests", "requests", "Request"),
        ("/assets", "assets", "Asset"),
        ("/tier/configs", "tier_configs", "Tier configuration"),
        ("/tier/config-requests", "tier_config_requests", "Tier configuration request"),
        ("/tier/accounts", "tier_accounts", "Tier account"),
        ("/products", "products", "Product"),
        ("/marketplaces", "marketplaces", "Marketplace"),
        ("/hubs", "hubs", "Hub"),
        ("/accounts", "accounts", "Account"),
    ]:
        out.extend(collection_views(path, collection, what))
    conv_list, _ = collection_views("/conversations", "conversations", "Conversation")
    out.append(conv_list)
    out.append(Rule(PREFIX + "/conversations/<ident>", endpoint=conversation_detail, methods=["GET"]))
    out.append(
        Rule(
            PREFIX + "/conversations/<ident>/messages",
            endpoint=conversation_messages,
            methods=["GET", "POST"],
        )
    )
    out.append(Rule(PREFIX + "/assets/<ident>/requests", endpoint=asset_requests, methods=["GET"]))
    for sub, collection, what in [
        ("templates", "templates", "Template"),
        ("items", "items", "Item"),
        ("parameters", "parameters", "Parameter"),
    ]:
        list_view, detail_view = product_children(collection, what)
        out.append(Rule(f"{PREFIX}/products/<pid>/{sub}", endpoint=list_view, methods=["GET"]))
        out.append(Rule(f"{PREFIX}/products/<pid>/{sub}/<ident>", endpoint=detail_view, methods=["GET"]))
    out.extend(actions.rules(PREFIX, authenticated))
    return out
