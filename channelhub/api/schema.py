"""OpenAPI schema generation (drf-spectacular) that documents each endpoint's RQL and shape.

- Every RQL list operation says how to query it (filters, orderings, search, select) and takes
  an optional `rql` parameter: the whole expression in one field, for Swagger UI, which can
  only send declared parameters (`channelhub.api.viewsets.expand_rql`).
- An endpoint serving upstream JSON (`ConnectPayloadViewSet`) names its `payload_shape`: a
  component of a file of schemas vendored from the upstream's spec (`VendoredSchemas`); the
  component and those it refers to, transitively, are registered in the generated schema, and
  the 200 is an array of it (list) or it (detail).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from dj_rql.drf import RQLFilterBackend
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse

_REF = "#/components/schemas/"


@dataclass(frozen=True, eq=False)
class VendoredSchemas:
    """A JSON file of `{component name: OpenAPI 3.0 schema}` cut from an upstream's spec.

    Read once, when the schema is first generated (never by a request of the API). Its
    `$ref`s point at `#/components/schemas/<name>` of the same file.
    """

    path: Path

    @cached_property
    def components(self) -> dict[str, dict]:
        """The file's components, by name."""
        return json.loads(self.path.read_text(encoding="utf-8"))

    def shape(self, name: str, what: str) -> PayloadShape:
        """The shape of an endpoint's objects: component `name` of this file; `what` names them."""
        if name not in self.components:
            raise KeyError(f"{name} is not a component of {self.path}")
        return PayloadShape(self, name, what)

    def closure(self, name: str) -> dict[str, dict]:
        """Component `name` and every component it refers to, transitively."""
        found: dict[str, dict] = {}
        todo = [name]
        while todo:
            current = todo.pop()
            if current in found:
                continue
            found[current] = self.components[current]
            todo.extend(r for r in _refs(found[current]) if r not in found)
        return found


@dataclass(frozen=True)
class PayloadShape:
    """What one endpoint serves: a component of a `VendoredSchemas` file."""

    schemas: VendoredSchemas = field(repr=False)
    name: str
    what: str  # e.g. "Connect fulfillment requests"

    @property
    def ref(self) -> dict:
        """The OpenAPI reference to the component."""
        return {"$ref": _REF + self.name}


def _refs(node) -> list[str]:
    """The component names a schema refers to (`$ref`s anywhere in it)."""
    names, stack = [], [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str) and ref.startswith(_REF):
                names.append(ref[len(_REF) :])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return names


RQL_PARAMETER_HELP = (
    "The whole RQL expression in one field, as it would be written after `?` "
    "(filters, `ordering()`, `select()`, `limit=`...): it is combined (AND) with the other "
    "parameters, exactly as if it were part of the query string. Invalid RQL is a 400."
)


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

    def get_override_parameters(self):
        """The declared parameters plus, on an RQL list, `rql` (the whole expression in one field)."""
        parameters = list(super().get_override_parameters())
        view = self.view
        filter_class = RQLFilterBackend.get_filter_class(view)
        if filter_class is None or getattr(view, "action", None) != "list":
            return parameters
        example = getattr(view, "rql_example", "") or _default_example(filter_class)
        parameters.append(
            OpenApiParameter(
                "rql",
                OpenApiTypes.STR,
                OpenApiParameter.QUERY,
                description=RQL_PARAMETER_HELP,
                examples=[OpenApiExample("an RQL expression", value=example)],
            )
        )
        return parameters

    def get_response_serializers(self):
        """An endpoint with a `payload_shape`: its component (registered here), else DRF's serializer."""
        shape = getattr(self.view, "payload_shape", None)
        if shape is None:
            return super().get_response_serializers()
        for name, schema in shape.schemas.closure(shape.name).items():
            self.registry.register_on_missing(
                ResolvedComponent(
                    name=name, type=ResolvedComponent.SCHEMA, object=name, schema=_shield_enums(schema)
                )
            )
        if getattr(self.view, "action", None) == "list":
            description = (
                f"{shape.what}: a page of them (`{shape.name}`). The total is in "
                "`Content-Range: items <first>-<last>/<total>`."
            )
        else:
            description = f"One of the {shape.what} (`{shape.name}`)."
        return {200: OpenApiResponse(response=shape.ref, description=description)}


def _shield_enums(schema: dict) -> dict:
    """A copy of a vendored component whose top-level enums drf-spectacular leaves alone.

    Its enum hook (`postprocess_schema_enums`) moves every enum of a component's own
    properties into a component of its own, named after the property (`StatusBc0Enum`: the
    upstream specs have dozens of `status` enums), and edits the schema in place. Wrapped in a
    one-item `allOf`, an enum means the same and stays where the upstream spec has it.
    """
    schema = copy.deepcopy(schema)
    for name, prop in (schema.get("properties") or {}).items():
        target = prop.get("items") if prop.get("type") == "array" else prop
        if isinstance(target, dict) and "enum" in target:
            inner = {k: target.pop(k) for k in ("type", "enum", "nullable") if k in target}
            target["allOf"] = [inner]
        schema["properties"][name] = prop
    return schema


def _default_example(filter_class) -> str:
    """An RQL example for a list without its own `rql_example`: its first ordering, 10 a page."""
    instance = filter_class(filter_class.MODEL._default_manager.none())
    orderings = sorted(instance.ordering_filters)
    return f"ordering(-{orderings[0]})&limit=10" if orderings else "limit=10"


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
