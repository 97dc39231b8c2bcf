"""The OpenAPI schema shows each Connect and Channel endpoint's response shape, and a reader can
type RQL into one `rql` parameter (issue 15).

The shapes are components vendored from the upstream specs (`fulfillment/connect/api/schemas.py`,
`fulfillment/channel/api/schemas.py`, `usage/api/schemas.py`); what the endpoints really serve,
after a sync of the sandbox over HTTP, is validated against them.
"""

from __future__ import annotations

import json
import subprocess
from io import StringIO
from pathlib import Path
from urllib.parse import quote

import jsonschema
import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from channelhub.api.throttling import TokenRateThrottle
from fulfillment.models import FulfillmentRequest

UPSTREAM_PREFIXES = ("/api/v1/connect/", "/api/v1/channel/")
_REF = "#/components/schemas/"


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        out = StringIO()
        call_command("spectacular", "--format", "openapi-json", "--validate", "--fail-on-warn", stdout=out)
    return json.loads(out.getvalue())


def _ok_schema(operation: dict) -> dict:
    return operation["responses"]["200"]["content"]["application/json"]["schema"]


def _upstream_operations(schema: dict):
    for path, item in schema["paths"].items():
        if path.startswith(UPSTREAM_PREFIXES):
            yield path, item["get"]


def _component(schema: dict, ref: dict) -> dict:
    assert set(ref) == {"$ref"} and ref["$ref"].startswith(_REF), ref
    return schema["components"]["schemas"][ref["$ref"][len(_REF) :]]


def _resolve(schema: dict, node: dict) -> dict:
    """A property's schema with `$ref` (and a one-item `allOf`) followed."""
    while True:
        if "$ref" in node:
            node = schema["components"]["schemas"][node["$ref"][len(_REF) :]]
        elif len(node.get("allOf", ())) == 1:
            node = node["allOf"][0]
        else:
            return node


# --- the schema --------------------------------------------------------------------------


def test_requests_list_is_an_array_of_the_request_component_and_the_detail_is_that_component(schema):
    listed = _ok_schema(schema["paths"]["/api/v1/connect/requests/"]["get"])
    assert listed["type"] == "array"
    request = _component(schema, listed["items"])
    assert {"id", "status", "asset", "type"} <= set(request["properties"])
    asset = _resolve(schema, request["properties"]["asset"])
    assert {"id", "params", "items", "tiers", "product"} <= set(asset["properties"])
    param = _resolve(schema, _resolve(schema, asset["properties"]["params"])["items"])
    assert {"id", "value"} <= set(param["properties"])
    status = _resolve(schema, request["properties"]["status"])
    assert {"pending", "approved", "failed"} <= set(status["enum"])

    detail = _ok_schema(schema["paths"]["/api/v1/connect/requests/{id}/"]["get"])
    assert detail == listed["items"]


@pytest.mark.parametrize(
    ("collection", "component", "fields"),
    [
        (
            "customers",
            "ChannelCustomer",
            {"name", "orgDisplayName", "domain", "cloudIdentityInfo", "goneTime"},
        ),
        (
            "entitlements",
            "ChannelEntitlement",
            {"name", "offer", "provisionedService", "parameters", "goneReason"},
        ),
        (
            "entitlement-changes",
            "ChannelEntitlementChange",
            {"entitlement", "changeType", "createTime", "id"},
        ),
    ],
)
def test_channel_endpoints_show_googles_schema_with_our_fields(schema, collection, component, fields):
    listed = _ok_schema(schema["paths"][f"/api/v1/channel/{collection}/"]["get"])
    assert listed["items"] == {"$ref": _REF + component}
    shape = schema["components"]["schemas"][component]
    assert fields <= set(shape["properties"])
    assert shape["description"].startswith("Google's GoogleCloudChannelV1")
    # Google's nested schemas come along: the customer's address is Google's PostalAddress.
    if component == "ChannelCustomer":
        address = _resolve(schema, shape["properties"]["orgPostalAddress"])
        assert {"regionCode", "postalCode", "addressLines"} <= set(address["properties"])


def test_every_connect_and_channel_operation_has_a_specific_200(schema):
    operations = list(_upstream_operations(schema))
    assert len(operations) >= 40  # every list and detail of the two upstreams' mounts
    for path, operation in operations:
        body = _ok_schema(operation)
        is_list = operation["operationId"].endswith("_list")
        ref = body["items"] if is_list else body
        if is_list:
            assert body["type"] == "array", path
        shape = _component(schema, ref)  # a named component, never an inline free-form object
        assert shape.get("properties") and len(shape["properties"]) >= 3, path
        assert "additionalProperties" not in shape, path
        names = [p["name"] for p in operation.get("parameters", ())]
        assert ("rql" in names) == is_list, path


def test_every_reference_of_the_schema_resolves_and_the_vendored_enums_stay_in_place(schema):
    components = schema["components"]["schemas"]
    refs = set()

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                refs.add(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    missing = {r for r in refs if r[len(_REF) :] not in components}
    assert not missing
    # drf-spectacular's enum hook names enums after their property; none came from the specs.
    enums = {name for name in components if name.endswith("Enum")}
    assert not {name for name in enums if name.startswith(("Status", "Type"))}, enums


def test_the_rql_parameter_has_an_example_of_valid_rql(schema):
    operation = schema["paths"]["/api/v1/connect/requests/"]["get"]
    (rql,) = [p for p in operation["parameters"] if p["name"] == "rql"]
    assert rql["in"] == "query" and not rql.get("required") and rql["schema"] == {"type": "string"}
    (example,) = rql["examples"].values()
    assert example["value"].startswith("and(eq(status,pending)")


# --- what is served matches the declared shapes ---------------------------------------------


def _openapi_to_jsonschema(node):
    """OpenAPI 3.0's `nullable: true` as JSON Schema's type lists, and a `writeOnly` property
    as one a response must not have (as schemathesis reads it), recursively."""
    if isinstance(node, dict):
        if node.get("writeOnly"):
            return {"not": {}}
        node = {k: _openapi_to_jsonschema(v) for k, v in node.items()}
        if node.pop("nullable", False):
            if "type" in node:
                kinds = node["type"] if isinstance(node["type"], list) else [node["type"]]
                node["type"] = [*kinds, "null"]
            if "enum" in node:
                node["enum"] = [*node["enum"], None]
            if "allOf" in node or "$ref" in node:
                node = {"anyOf": [{"type": "null"}, node]}
        return node
    if isinstance(node, list):
        return [_openapi_to_jsonschema(v) for v in node]
    return node


def _validator(schema: dict, body: dict) -> jsonschema.Draft4Validator:
    root = {**_openapi_to_jsonschema(body), "components": _openapi_to_jsonschema(schema["components"])}
    return jsonschema.Draft4Validator(root)


def _problems(validator, payload) -> list[str]:
    """Each kind of mismatch once: where (list indices as `n`), what is wrong, where in the schema."""
    found = {}
    for error in validator.iter_errors(payload):
        where = "/".join("n" if isinstance(p, int) else str(p) for p in error.absolute_path) or "(root)"
        found.setdefault(
            where, f"{where}: {error.message[:160]} (schema: {'/'.join(map(str, error.schema_path))})"
        )
    return list(found.values())


@pytest.fixture
def world(connect_settings, channel_settings, transactional_db):
    """The sandbox's Connect, usage and Channel worlds mirrored the real way (every stream)."""
    call_command("sync", "--all", stdout=StringIO(), stderr=StringIO())
    assert FulfillmentRequest.objects.count() > 20


@pytest.fixture
def reader(make_token):
    _, plain = make_token()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    return client


def _detail_url(path: str, obj: dict, product: str) -> str:
    template = path.replace("{product_id}", product)
    key = "id" if "{id}" in template else "name"
    return template.replace("{" + key + "}", obj[key])


def test_what_every_endpoint_serves_matches_its_declared_shape(schema, world, reader):
    problems, checked = [], set()
    for path, operation in _upstream_operations(schema):
        if not operation["operationId"].endswith("_list"):
            continue
        product = _a_product_with_templates()
        url = path.replace("{product_id}", product)
        response = reader.get(url, {"limit": 50})
        assert response.status_code == 200, (url, response.content[:300])
        objects = response.json()
        listed = _validator(schema, _ok_schema(operation))
        problems += [f"{path}: {p}" for p in _problems(listed, objects)]
        if not objects:
            continue
        checked.add(path)
        detail_path = next(p for p in schema["paths"] if p.startswith(path) and p != path)
        detail = reader.get(_detail_url(detail_path, objects[0], product))
        assert detail.status_code == 200, (detail_path, detail.content[:300])
        validator = _validator(schema, _ok_schema(schema["paths"][detail_path]["get"]))
        problems += [f"{detail_path}: {p}" for p in _problems(validator, detail.json())]
    assert not problems, "\n".join(problems[:60])
    # the sandbox has objects of nearly every collection: each of those was checked
    assert {"/api/v1/connect/requests/", "/api/v1/connect/assets/", "/api/v1/channel/customers/"} <= checked
    assert len(checked) >= 15, sorted(checked)


SCHEMATHESIS = Path(__file__).resolve().parents[3] / ".venv-schemathesis" / "bin" / "schemathesis"


def test_schemathesis_finds_every_connect_and_channel_response_conforming(
    world, live_server, make_token, monkeypatch, tmp_path
):
    """schemathesis' own reading of the shapes (writeOnly, nullable, required...) over real
    responses of the synced mirror; tests/channelhub/api/test_schemathesis.py checks 500s only."""
    if not SCHEMATHESIS.exists():
        pytest.fail(f"{SCHEMATHESIS} is missing: run `make schemathesis` to build it")
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"token": "1000000/min"})
    _, token = make_token()
    command = [
        str(SCHEMATHESIS),
        "run",
        f"{live_server.url}/api/v1/schema/",
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        "not_a_server_error,response_schema_conformance",
        "--include-path-regex",
        "^/api/v1/(connect|channel)/",
        "--phases",
        "examples,fuzzing",
        "--max-examples",
        "4",
        "--seed",
        "20261122",
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--no-color",
    ]
    result = subprocess.run(  # noqa: S603 - our own venv's binary, our own arguments
        command, capture_output=True, text=True, timeout=900, cwd=tmp_path
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-8000:]
    assert "Tested:" in output and " passed" in output, output[-4000:]


def _a_product_with_templates() -> str:
    from fulfillment.connect.models import Template  # noqa: PLC0415 - Django is set up by now

    return Template.objects.values_list("product_id", flat=True).first() or "PRD-NONE"


# --- `?rql=` is the query string --------------------------------------------------------------

RQL_CASES = [
    "eq(status,pending)",
    "and(eq(status,pending),ge(created,2024-01-01T00:00:00+00:00))",
    "or(eq(type,purchase),eq(type,change))&ordering(-created)",
    "ordering(asset.id)&limit=3&offset=1",
    "select(-asset.items,-asset.params)&limit=5",
    'in(status,(pending,"failed"))&ne(type,cancel)',
    "search=PR-",
]


def _raw(client, path: str, query: str):
    return client.get(f"{path}?{query}")


@pytest.mark.parametrize("expression", RQL_CASES)
def test_rql_parameter_equals_the_same_expression_in_the_query_string(world, reader, expression):
    path = reverse("connect-request-list")
    raw = _raw(reader, path, expression)
    assert raw.status_code == 200, raw.content
    # as Swagger UI sends it (encodeURIComponent), and as someone would type it by hand
    for encoded in (quote(expression, safe="()*-._~!'"), expression.replace("&", "%26")):
        typed = reader.get(f"{path}?rql={encoded}")
        assert typed.status_code == 200, typed.content
        assert typed.json() == raw.json(), encoded
        assert typed["Content-Range"] == raw["Content-Range"]
    assert raw.json() or expression.startswith("search")  # the sandbox has rows for each


def test_rql_parameter_is_anded_with_the_other_parameters(world, reader):
    path = reverse("connect-request-list")
    status, kind = FulfillmentRequest.objects.values_list("status", "type").first()
    expected = set(FulfillmentRequest.objects.filter(status=status, type=kind).values_list("id", flat=True))
    both = reader.get(f"{path}?eq(type,{kind})&rql={quote(f'eq(status,{status})')}&limit=1000")
    assert {o["id"] for o in both.json()} == expected
    assert both.json() == _raw(reader, path, f"eq(type,{kind})&eq(status,{status})&limit=1000").json()
    # a filter in `rql`, the page size beside it
    paged = reader.get(f"{path}?rql={quote(f'eq(status,{status})')}&limit=2&ordering(-created)")
    assert paged.json() == _raw(reader, path, f"eq(status,{status})&limit=2&ordering(-created)").json()


@pytest.mark.parametrize(
    "expression", ["eq(status,pending", "unknown_filter(1)", "eq(nosuchfilter,1)", "limit=-1"]
)
def test_bad_rql_in_the_parameter_is_the_same_400(world, reader, expression):
    path = reverse("connect-request-list")
    raw = _raw(reader, path, expression)
    typed = reader.get(f"{path}?rql={quote(expression)}")
    assert raw.status_code == typed.status_code == 400
    assert typed.json() == raw.json()


def test_rql_parameter_on_a_channel_endpoint(world, reader):
    path = reverse("channel-customer-list")
    customers = reader.get(path).json()
    assert customers
    name = customers[0]["orgDisplayName"]
    expression = f'eq(orgDisplayName,"{name}")'
    typed = reader.get(f"{path}?rql={quote(expression)}")
    assert typed.status_code == 200, typed.content
    assert typed.json() == _raw(reader, path, quote(expression, safe="(),")).json()
    assert [c["orgDisplayName"] for c in typed.json()] == [name]


# --- the docs pages load nothing from the internet -----------------------------------------

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
]


@pytest.mark.browser
@pytest.mark.parametrize(("name", "rendered"), [("api-docs", ".swagger-ui .info"), ("api-redoc", "h1")])
def test_the_docs_pages_load_nothing_but_our_own_urls_in_a_browser(
    live_server, transactional_db, make_token, monkeypatch, name, rendered
):
    """Every request Chromium makes for Swagger UI or ReDoc (page, JS, CSS, fonts, images, the
    schema) goes to our own server: the bundles' own defaults (web fonts, Swagger's online
    validator badge, ReDoc's logo from its CDN) would show up here as requests to another host,
    unless the page's Content-Security-Policy refused them before they were sent."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - only this test drives a browser

    _, plain = make_token()
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop runs in this thread
    requested: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(extra_http_headers={"Authorization": f"Bearer {plain}"})
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("request", lambda request: requested.append(request.url))
            blocked: list[str] = []  # refused by the page's Content-Security-Policy: never sent
            page.on("requestfailed", lambda r: blocked.append(r.url) if r.failure == "csp" else None)
            page.goto(f"{live_server.url}{reverse(name)}")
            page.wait_for_selector(rendered, timeout=30_000)
            page.wait_for_load_state("networkidle")
            if name == "api-docs":  # the rql parameter is there to type into
                page.locator("text=/api/v1/connect/requests/").first.click()
                page.wait_for_selector("tr[data-param-name='rql']", timeout=30_000)
        finally:
            browser.close()
    assert not errors, errors
    assert any(u.endswith(".js") for u in requested), requested
    assert any(reverse("api-schema") in u for u in requested), requested
    foreign = [
        u for u in requested if not u.startswith((live_server.url, "data:", "blob:")) and u not in blocked
    ]
    assert not foreign, foreign
