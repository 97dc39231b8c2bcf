"""The three `filter` languages the sandbox understands, each compiled to a predicate on a doc.

- customers.list (and channelPartnerLinks.customers.list), per Google's customer-filter guide:
  fields `domain`, `org_display_name`, `cloud_identity_id`, `channel_partner_id`; `field = "v"`
  is an exact match, `field : "v*"` a prefix match (domain and org_display_name only; `:` without
  `*` is an exact match); matching ignores case; AND / OR with parentheses; AND and OR at the
  same level without parentheses is INVALID_ARGUMENT, as upstream.
- offers.list: `name`, `sku.name`, `sku.product.name` with `=` / `!=`, joined by AND.
- listEntitlementChanges (undocumented upstream; our choice): `create_time` with `>=`, `>`,
  `<=`, `<`, `=` and an RFC 3339 value (quoted or not), joined by AND,
  e.g. `create_time >= "2024-03-01T00:00:00Z" AND create_time < "2024-04-01T00:00:00Z"`.
Values may be double-quoted (with backslash escapes) or bare words.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable

from .wire import invalid, micros

Predicate = Callable[[dict], bool]

TOKEN = re.compile(
    r'\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<op>!=|>=|<=|=|:|>|<)|"(?P<q>(?:[^"\\]|\\.)*)"|(?P<w>[^\s()=:!<>"]+))'
)
KEYWORDS = {"AND", "OR"}


def tokenize(text: str) -> list[tuple[str, str]]:
    """The filter as (kind, text) tokens: parentheses, operators, quoted values, words and AND/OR."""
    tokens, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise invalid(f"Invalid filter {text!r} near position {pos}.")
        pos = match.end()
        kind = match.lastgroup
        value = match.group(kind)
        if kind == "q":
            tokens.append(("value", re.sub(r"\\(.)", r"\1", value)))
        elif kind == "w":
            tokens.append(("kw" if value.upper() in KEYWORDS else "word", value))
        else:
            tokens.append((kind, value))
    return tokens


class Parser:
    """Recursive descent over `comparison ((AND|OR) comparison)*` with parentheses."""

    def __init__(self, text: str, comparison: Callable[[str, str, str], Predicate], or_allowed: bool):
        self.text = text
        self.tokens = tokenize(text)
        self.pos = 0
        self.comparison = comparison
        self.or_allowed = or_allowed

    def fail(self, why: str):
        """Refuse the filter: 400 INVALID_ARGUMENT saying why."""
        raise invalid(f"Invalid filter {self.text!r}: {why}.")

    def peek(self) -> tuple[str, str] | None:
        """The next token, or None at the end."""
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        """Consume the next token (refused at the end)."""
        token = self.peek()
        if token is None:
            self.fail("unexpected end")
        self.pos += 1
        return token

    def parse(self) -> Predicate:
        """The whole filter as one predicate (an empty filter matches everything)."""
        if not self.tokens:
            return lambda doc: True
        predicate = self.expression()
        if self.peek() is not None:
            self.fail(f"unexpected {self.peek()[1]!r}")
        return predicate

    def expression(self) -> Predicate:
        """Groups joined by AND or by OR (not both without parentheses)."""
        terms = [self.group()]
        joins = set()
        while (token := self.peek()) is not None and token[0] == "kw":
            self.take()
            joins.add(token[1].upper())
            terms.append(self.group())
        if len(joins) > 1:
            self.fail("AND and OR at the same level need parentheses")
        if "OR" in joins:
            if not self.or_allowed:
                self.fail("OR is not supported here")
            return lambda doc: any(term(doc) for term in terms)
        return lambda doc: all(term(doc) for term in terms)

    def group(self) -> Predicate:
        """A parenthesised expression or one `field operator value` comparison."""
        kind, _ = self.peek() or ("", "")
        if kind == "lp":
            self.take()
            inner = self.expression()
            if self.take()[0] != "rp":
                self.fail("missing )")
            return inner
        field_kind, field = self.take()
        op_kind, op = self.take()
        value_kind, value = self.take()
        if field_kind != "word" or op_kind != "op" or value_kind not in ("word", "value"):
            self.fail(f"expected `field operator value` near {field!r}")
        return self.comparison(field, op, value)


# -- customers

CUSTOMER_FIELDS = {
    "domain": "domain",
    "org_display_name": "orgDisplayName",
    "cloud_identity_id": "cloudIdentityId",
    "channel_partner_id": "channelPartnerId",
}
PREFIX_FIELDS = {"domain", "org_display_name"}


def _customer_comparison(field: str, op: str, value: str) -> Predicate:
    key = CUSTOMER_FIELDS.get(field)
    if key is None:
        raise invalid(f"Unknown customer filter field {field!r}; use {', '.join(CUSTOMER_FIELDS)}.")
    if op not in ("=", ":"):
        raise invalid(f"Operator {op!r} is not supported in customer filters; use = or :.")
    wanted = value.lower()
    if op == ":" and wanted.endswith("*"):
        if field not in PREFIX_FIELDS:
            raise invalid(f"Prefix match is only supported on {' and '.join(sorted(PREFIX_FIELDS))}.")
        prefix = wanted[:-1]
        return lambda doc: str(doc.get(key) or "").lower().startswith(prefix)
    return lambda doc: str(doc.get(key) or "").lower() == wanted


def customer_filter(text: str | None) -> Predicate:
    """The predicate of a customers.list filter (exact or prefix matches, AND / OR)."""
    return Parser(text or "", _customer_comparison, or_allowed=True).parse()


# -- offers

OFFER_FIELDS: dict[str, Callable[[dict], str]] = {
    "name": lambda doc: doc["name"],
    "sku.name": lambda doc: doc["sku"]["name"],
    "sku.product.name": lambda doc: doc["sku"]["product"]["name"],
}


def _offer_comparison(field: str, op: str, value: str) -> Predicate:
    getter = OFFER_FIELDS.get(field)
    if getter is None:
        raise invalid(f"Unknown offer filter field {field!r}; use {', '.join(OFFER_FIELDS)}.")
    if op == "=":
        return lambda doc: getter(doc) == value
    if op == "!=":
        return lambda doc: getter(doc) != value
    raise invalid(f"Operator {op!r} is not supported in offer filters; use = or !=.")


def offer_filter(text: str | None) -> Predicate:
    """The predicate of an offers.list filter (`=` / `!=`, AND)."""
    return Parser(text or "", _offer_comparison, or_allowed=False).parse()


# -- entitlement changes

TIME_OPS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "=": operator.eq}


def _change_comparison(field: str, op: str, value: str) -> Predicate:
    if field != "create_time":
        raise invalid(f"Unknown entitlement change filter field {field!r}; use create_time.")
    compare = TIME_OPS.get(op)
    if compare is None:
        raise invalid(f"Operator {op!r} is not supported on create_time; use >=, >, <=, < or =.")
    try:
        bound = micros(value)
    except ValueError:
        raise invalid(f"create_time value {value!r} is not an RFC 3339 timestamp.") from None
    return lambda doc: compare(micros(doc["createTime"]), bound)


def change_filter(text: str | None) -> Predicate:
    """The predicate of a listEntitlementChanges filter (create_time bounds, AND)."""
    return Parser(text or "", _change_comparison, or_allowed=False).parse()
