"""Authentication, permissions and throttling of every endpoint, and how tokens are issued."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from channelhub import registry
from channelhub.api.throttling import TokenRateThrottle
from channelhub.models.tokens import ApiToken, hash_token

from .endpoints import ENDPOINTS, url
from .routes import list_routes

pytestmark = pytest.mark.django_db


def bearer(plain: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    return client


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_no_token_is_401_in_connect_error_shape(anon, endpoint):
    obj = endpoint.make()
    for path in (url(endpoint), f"{url(endpoint)}/{obj.pk}"):
        r = anon.get(path)
        assert r.status_code == 401, path
        assert r["WWW-Authenticate"] == "Bearer"
        assert r.json()["error_code"] == "AUTH_001" and r.json()["errors"]


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
@pytest.mark.parametrize(
    "token_fields,reason",
    [
        ({"expires_at": timezone.now() - timedelta(seconds=1)}, "Token expired."),
        ({"revoked_at": timezone.now()}, "Token revoked."),
    ],
    ids=["expired", "revoked"],
)
def test_expired_or_revoked_token_is_401(make_token, endpoint, token_fields, reason):
    endpoint.make()
    _, plain = make_token(**token_fields)
    r = bearer(plain).get(url(endpoint))
    assert r.status_code == 401
    assert r.json()["errors"] == [reason]


def test_wrong_token_and_malformed_header_are_401(reader_token):
    assert bearer("chb_not-a-token").get("/api/v1/connect/requests").status_code == 401
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer two words")
    assert client.get("/api/v1/connect/requests").status_code == 401


def test_inactive_user_token_is_401(reader_token):
    token, plain = reader_token
    token.user.is_active = False
    token.user.save()
    assert bearer(plain).get("/api/v1/connect/requests").status_code == 401


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_without_the_view_permission_is_403_and_with_it_200(make_token, endpoint):
    obj = endpoint.make()
    token, plain = make_token(username="nobody", groups=())
    client = bearer(plain)
    assert client.get(url(endpoint)).status_code == 403
    assert client.get(f"{url(endpoint)}/{obj.pk}").status_code == 403
    app_label, codename = endpoint.perm.split(".")
    token.user.user_permissions.add(
        Permission.objects.get(content_type__app_label=app_label, codename=codename)
    )
    client = bearer(plain)  # a fresh user object: permissions are cached per request's user
    assert client.get(url(endpoint)).status_code == 200
    assert client.get(f"{url(endpoint)}/{obj.pk}").status_code == 200


@pytest.mark.parametrize("route", list_routes(), ids=str)
def test_every_list_route_of_every_app_needs_a_token_and_its_view_permission(anon, make_token, route):
    """From the routers, not a table: anonymous 401, a token that may read nothing 403, the
    model's view permission alone 200."""
    assert anon.get(f"/api/v1/{route.path}").status_code == 401
    token, plain = make_token(username="nobody", groups=())
    assert bearer(plain).get(f"/api/v1/{route.path}").status_code == 403
    app_label, codename = route.perm.split(".")
    token.user.user_permissions.add(
        Permission.objects.get(content_type__app_label=app_label, codename=codename)
    )
    assert bearer(plain).get(f"/api/v1/{route.path}").status_code == 200


def test_the_routers_serve_every_app_mounted_through_the_registry():
    routes = list_routes()
    mounts = {mount.prefix for mount in registry.api_mounts()} | {"channelhub"}
    for prefix in mounts:  # a prefix may have several segments (connect/usage)
        assert any(route.path.startswith(prefix + "/") for route in routes), prefix
    assert all(any(route.path.startswith(prefix + "/") for prefix in mounts) for route in routes)


def test_readonly_role_reads_every_endpoint(api):
    for endpoint in ENDPOINTS:
        endpoint.make()
        r = api.get(url(endpoint))
        assert r.status_code == 200, endpoint
        assert len(r.json()) == 1


def test_health_needs_no_token_and_everything_else_does(anon):
    assert anon.get("/healthz").status_code == 200
    for path in ("/api/v1/", "/api/v1/schema/", "/api/v1/schema/swagger/", "/api/v1/schema/redoc/"):
        assert anon.get(path).status_code in (401, 403), path


def test_a_token_that_may_read_nothing_gets_403_on_the_root_and_the_schema(make_token):
    token, plain = make_token(username="nobody", groups=())
    paths = ("/api/v1/", "/api/v1/schema/", "/api/v1/schema/swagger/", "/api/v1/schema/redoc/")
    for path in paths:
        assert bearer(plain).get(path).status_code == 403, path
    token.user.user_permissions.add(
        Permission.objects.get(content_type__app_label="channelhub", codename="view_syncrun")
    )
    for path in paths:
        assert bearer(plain).get(path).status_code == 200, path


def test_staff_session_browses_the_api_and_docs_are_local(admin_user):
    client = APIClient()
    client.force_login(admin_user)
    r = client.get("/api/v1/connect/requests", HTTP_ACCEPT="text/html")
    assert r.status_code == 200 and b"<html" in r.content
    docs = client.get("/api/v1/schema/swagger/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in docs
    assert "cdn" not in docs.lower()
    redoc = client.get("/api/v1/schema/redoc/").content.decode()
    assert "/static/drf_spectacular_sidecar/redoc/" in redoc


def test_a_session_of_a_non_staff_user_is_not_enough(django_user_model):
    user = django_user_model.objects.create(username="customer")
    client = APIClient()
    client.force_login(user)
    assert client.get("/api/v1/connect/requests").status_code == 401


def test_token_is_stored_hashed_and_last_use_recorded(api, reader_token):
    token, plain = reader_token
    assert token.key_hash == hash_token(plain) and plain not in token.key_hash
    assert not ApiToken.objects.filter(key_hash=plain).exists()
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=None)
    assert api.get("/api/v1/connect/requests").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_throttled_per_token(make_token, settings, monkeypatch):
    # One instant, so no period boundary falls between the requests (the window slides).
    monkeypatch.setattr(TokenRateThrottle, "timer", lambda self: 1_000_000.0)
    TokenRateThrottle.THROTTLE_RATES = {"token": "3/min"}
    try:
        _, first = make_token(username="a")
        _, second = make_token(username="a")  # same user, own budget
        codes = [bearer(first).get("/api/v1/connect/requests").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        assert bearer(second).get("/api/v1/connect/requests").status_code == 200
        r = bearer(first).get("/api/v1/connect/requests")
        assert r.json()["error_code"] == "THROTTLED" and "Retry-After" in r
    finally:
        TokenRateThrottle.THROTTLE_RATES = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]


def test_issue_api_token_command_prints_a_working_token_once(django_user_model):
    django_user_model.objects.create(username="billing", is_staff=False)
    out, err = StringIO(), StringIO()
    call_command(
        "issue_api_token", "billing", "--name", "billing job", "--expires", "30", stdout=out, stderr=err
    )
    plain = out.getvalue().strip()
    token = ApiToken.objects.get(name="billing job")
    assert token.key_hash == hash_token(plain)
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    assert "Shown once" in err.getvalue()
    # No role yet: authenticated, but may read nothing.
    assert bearer(plain).get("/api/v1/connect/requests").status_code == 403


@pytest.mark.parametrize(
    "args,message", [(["ghost"], "No user 'ghost'"), (["u", "--expires", "0"], "positive")]
)
def test_issue_api_token_refuses_bad_input(django_user_model, args, message):
    django_user_model.objects.create(username="u")
    with pytest.raises(CommandError, match=message):
        call_command("issue_api_token", *args, stdout=StringIO(), stderr=StringIO())


def test_admin_issues_a_token_and_shows_it_once(admin_client, django_user_model):
    user = django_user_model.objects.create(username="team")
    r = admin_client.post(
        "/admin/channelhub/apitoken/add/",
        {"user": user.pk, "name": "from admin", "expires_at": ""},
        follow=True,
    )
    assert r.status_code == 200
    token = ApiToken.objects.get(name="from admin")
    shown = [str(m) for m in r.context["messages"]]
    plain = next(m.split("<code>")[1].split("</code>")[0] for m in shown if "<code>" in m)
    assert token.key_hash == hash_token(plain)
    page = admin_client.get(f"/admin/channelhub/apitoken/{token.pk}/change/").content.decode()
    assert plain not in page and token.key_prefix in page
    admin_client.post(
        "/admin/channelhub/apitoken/",
        {"action": "revoke_selected", "_selected_action": [token.pk]},
    )
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_api_root_lists_every_collection_and_each_link_answers(api):
    root = api.get("/api/v1/").json()
    mounts = {mount.prefix: mount for mount in registry.api_mounts()}
    assert set(root) == {*mounts, "channelhub", "schema", "docs"}
    for prefix, mount in mounts.items():
        assert set(root[prefix]) == set(mount.root), prefix
    assert set(root["channel"]) == {
        "customers", "entitlements", "entitlement-changes", "offers", "products", "skus",
        "channel-partner-links",
    }  # fmt: skip
    for group in ("connect", "channel", "channelhub"):
        for name, link in root[group].items():
            assert api.get(link).status_code == 200, (group, name, link)


def test_a_client_without_a_token_learns_nothing_about_its_query(anon):
    hostile = "&".join(f"eq(id,PR-{n})" for n in range(5000))
    r = anon.get(f"/api/v1/connect/requests?{hostile}")
    assert r.status_code == 401 and r.json()["error_code"] == "AUTH_001"
