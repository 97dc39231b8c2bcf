"""`/usage/files` (list, create, detail, PUT, actions, categories), the signed download links of
a file's workbooks, and `/usage/products/{id}/template`.

Every handler first runs the system steps that are due (machine.settle), so a file uploaded
`processing_seconds` ago is `ready` or `invalid` when it is next read or listed."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

from werkzeug.routing import Rule
from werkzeug.wrappers import Response

from channelhub.sandbox.common import ApiError, bad_request, json_body, json_response, not_found, now_iso
from channelhub.sandbox.connect.routes import PREFIX, authenticated, content_range, list_response

from . import machine, shapes, xlsx
from . import world as w

LINK_SECRET = secrets.token_bytes(16)  # per process: links are for immediate download, as upstream's
LINK_TTL = {"usage_file": 600, "processed_file": 30, "template": 600}
UPDATABLE = {"description": 200, "note": 200, "external_id": 200, "currency": 20}
ACTIONS = ("submit", "accept", "reject", "close", "delete", "reprocess")


def _signature(path: str, expires: int) -> str:
    return hmac.new(LINK_SECRET, f"{path}:{expires}".encode(), hashlib.sha256).hexdigest()[:32]


def signed_link(request, path: str, kind: str) -> str:
    """An absolute, signed-looking link to `path` on this server, valid LINK_TTL[kind] seconds."""
    expires = int(time.time()) + LINK_TTL[kind]
    return f"{request.host_url.rstrip('/')}{path}?expires={expires}&signature={_signature(path, expires)}"


def check_link(request) -> None:
    """403 unless the request carries a valid, unexpired signature for its path."""
    try:
        expires = int(request.args.get("expires", "0"))
    except ValueError:
        expires = 0
    good = _signature(request.path.rstrip("/"), expires)
    if expires < time.time() or not hmac.compare_digest(good, request.args.get("signature", "")):
        raise ApiError(403, "AUTH_003", "The download link is invalid or has expired.")


def load(session, ident: str) -> dict:
    """A usage file, or Connect's 404."""
    doc = session.get("usage_files", ident)
    if doc is None:
        raise not_found("Usage file", ident)
    return doc


def detail(request, session, doc: dict) -> dict:
    """The file as its detail shows it: with the signed links to the uploaded and processed workbooks."""
    out = dict(doc)
    base = f"{PREFIX}/usage/files/{doc['id']}/download"
    has_upload = session.get_raw("usage_uploads", doc["id"]) is not None
    has_records = bool(
        session.scalar("SELECT 1 FROM usage_records WHERE usagefile_id = ? LIMIT 1", (doc["id"],))
    )
    available = has_upload or has_records
    processed = available and doc["status"] not in ("uploading", "processing")
    # Signed links only where there is a file behind them (the spec types them as strings:
    # an absent link is left out, not null); no reconciliation uploads here.
    if available:
        out["usage_file_uri"] = signed_link(request, f"{base}/usage_file.xlsx", "usage_file")
    if processed:
        out["processed_file_uri"] = signed_link(request, f"{base}/processed_file.xlsx", "processed_file")
    return out


def make_rules(knobs) -> list[Rule]:
    """The routes of usage files, their downloads and product templates, bound to the module's knobs."""

    @authenticated
    def files(ctx, request):
        with ctx.session() as session:
            machine.settle(session)
        if request.method == "POST":
            return create(ctx, request)
        return list_response(ctx, request, "usage_files")

    @authenticated
    def file_detail(ctx, request, ident):
        body = json_body(request) if request.method == "PUT" else {}
        with ctx.session() as session:
            machine.settle(session)
            with session.write():
                doc = load(session, ident)
                if request.method == "PUT":
                    w.require_side(request, w.VENDOR, "update")
                    update(doc, body)
                    machine.put_file(session, doc)
                return json_response(detail(request, session, doc))

    @authenticated
    def upload(ctx, request, ident):
        by = w.require_side(request, w.VENDOR, "upload")
        stored = request.files.get("usage_file")
        if stored is None:
            raise bad_request("usage_file: No file was submitted.")
        data = stored.read()
        with ctx.session() as session:
            machine.settle(session)
            with session.write():
                doc = machine.upload(
                    session, load(session, ident), data, stored.filename or "", by, knobs.processing_seconds
                )
                return json_response(detail(request, session, doc), 201)

    @authenticated
    def action(ctx, request, ident, name):
        if name not in ACTIONS:
            raise ApiError(404, "NTF_001", f"Unknown action {name}.")
        body = json_body(request)
        by = w.require_side(request, machine.TRANSITIONS[name][2], name)
        with ctx.session() as session:
            machine.settle(session)
            with session.write():
                doc = machine.transition(session, load(session, ident), name, body, by)
                return json_response(detail(request, session, doc))

    @authenticated
    def categories(ctx, request, ident):
        with ctx.session() as session:
            load(session, ident)
            found = categories_of(session, ident)
        return json_response(found, headers={"Content-Range": content_range(0, len(found), len(found))})

    def download(ctx, request, ident, kind):
        check_link(request)
        with ctx.session() as session:
            data = workbook_bytes(session, load(session, ident), kind)
        return Response(
            data, content_type=xlsx.XLSX, headers={"Content-Disposition": f"attachment; filename={kind}.xlsx"}
        )

    @authenticated
    def template(ctx, request, pid):
        with ctx.session() as session:
            product = _product(session, pid)
        link = signed_link(request, f"{PREFIX}/usage/products/{product['id']}/template.xlsx", "template")
        return json_response({"template_link": link})

    def template_file(ctx, request, pid):
        check_link(request)
        with ctx.session() as session:
            product = _product(session, pid)
        return Response(
            xlsx.template(product),
            content_type=xlsx.XLSX,
            headers={"Content-Disposition": f"attachment; filename={pid}_usage_template.xlsx"},
        )

    base = PREFIX + "/usage/files"
    return [
        Rule(base, endpoint=files, methods=["GET", "POST"]),
        Rule(base + "/<ident>", endpoint=file_detail, methods=["GET", "PUT"]),
        Rule(base + "/<ident>/upload", endpoint=upload, methods=["POST"]),
        Rule(base + "/<ident>/categories", endpoint=categories, methods=["GET"]),
        Rule(
            base + "/<ident>/download/<any(usage_file, processed_file):kind>.xlsx",
            endpoint=download,
            methods=["GET"],
        ),
        Rule(base + "/<ident>/<name>", endpoint=action, methods=["POST"]),
        Rule(PREFIX + "/usage/products/<pid>/template", endpoint=template, methods=["GET"]),
        Rule(PREFIX + "/usage/products/<pid>/template.xlsx", endpoint=template_file, methods=["GET"]),
    ]


def _product(session, pid: str) -> dict:
    for product in w.world_of(session).get("products", []):
        if product["id"] == pid:
            return product
    raise not_found("Product", pid)


def create(ctx, request):
    """POST /usage/files: a `draft` file; name, product.id and contract.id required; the vendor,
    provider, marketplace, schema and (unless given) currency come from the product and contract."""
    by = w.require_side(request, w.VENDOR, "create")
    body = json_body(request)
    errors = [
        f"{f}: This field is required."
        for f, v in (
            ("name", body.get("name")),
            ("product.id", (body.get("product") or {}).get("id")),
            ("contract.id", (body.get("contract") or {}).get("id")),
        )
        if not v
    ]
    if errors:
        raise ApiError(400, "VAL_001", errors)
    if len(str(body["name"])) > 100:
        raise bad_request("name: Ensure this field has no more than 100 characters.")
    _check_lengths(body)
    body["period"] = w.check_period(body.get("period"))
    with ctx.session() as session, session.write():
        world = w.world_of(session)
        product = w.product_of(world, body["product"]["id"])
        marketplace = w.marketplace_of_contract(world, body["contract"]["id"])
        when = now_iso()
        doc = shapes.file_doc(
            ident=shapes.file_id(session, when),
            body=body,
            product=product,
            marketplace=marketplace,
            world=world,
            environment=shapes.environment_for(session, product, marketplace["contract"]["id"]),
            when=when,
            by=by,
        )
        machine.put_file(session, doc)
        return json_response(detail(request, session, doc), 201)


def _check_lengths(body: dict) -> None:
    for key, limit in UPDATABLE.items():
        value = body.get(key)
        if value is not None and len(str(value)) > limit:
            raise bad_request(f"{key}: Ensure this field has no more than {limit} characters.")


def update(doc: dict, body: dict) -> None:
    """PUT: description, note, period, currency, external_id (maxLength checked); not on a deleted or
    closed file."""
    if doc["status"] in ("deleted", "closed"):
        raise ApiError(
            400, machine.INVALID_STATE, f"Usage file {doc['id']} is {doc['status']}: it cannot be updated."
        )
    _check_lengths(body)
    for key in UPDATABLE:
        if key in body and body[key] is not None:
            doc[key] = str(body[key])
    if "period" in body:
        doc["period"] = w.check_period(body["period"])


def categories_of(session, ident: str) -> list[dict]:
    """The file's categories: those of its uploaded workbook, else those its records name."""
    upload_doc = session.get("usage_uploads", ident)
    if upload_doc is not None and upload_doc.get("categories"):
        return upload_doc["categories"]
    seen = {}
    for cid, name in session.conn.execute(
        "SELECT DISTINCT json_extract(doc, '$.category.id'), json_extract(doc, '$.category.name')"
        " FROM usage_records WHERE usagefile_id = ? AND json_extract(doc, '$.category.id') IS NOT NULL ORDER BY 1",
        (ident,),
    ):
        seen[cid] = {"id": cid, "name": name, "description": ""}
    return list(seen.values())


def workbook_bytes(session, doc: dict, kind: str) -> bytes:
    """The uploaded workbook as sent, or the processed one (with the rows' errors); rebuilt from the
    records for seeded files. 404 when the file has none yet."""
    upload_doc = session.get("usage_uploads", doc["id"])
    if upload_doc is not None:
        if kind == "usage_file":
            return base64.b64decode(upload_doc["content"])
        if doc["status"] not in ("uploading", "processing"):
            return xlsx.processed(doc, upload_doc["headers"], upload_doc["rows"], upload_doc["errors"])
    elif kind == "usage_file" or doc["status"] not in ("uploading", "processing"):
        records = machine.records_of(session, doc["id"])
        if records:
            return xlsx.from_records(doc, records)
    raise not_found("Usage file workbook", f"{doc['id']}/{kind}")
