"""The fake Google OAuth token endpoint and bearer checks, plus the service-account key file
that google-auth needs to reach them.

Token flow (channel-api.md §7b): google-auth POSTs `grant_type=urn:ietf:params:oauth:grant-type:
jwt-bearer&assertion=<RS256 JWT>` form-encoded to the key file's `token_uri`. We decode the JWT
payload WITHOUT verifying the signature and WITHOUT checking `aud` (google-auth always sends
Google's own token URL there), remember `sub` (the impersonated admin; `iss` when there is no
subject) and `scope`, and answer `{"access_token", "expires_in", "token_type": "Bearer"}`.

Tokens live in memory, not in the state file: `/_sandbox/reset` keeps them (a long-running
client keeps working), the `revoke_tokens` knob drops them all (the next call answers 401, the
client refreshes once and retries), a sandbox restart forgets them (clients refresh on 401).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.wrappers import Request, Response

from ..common import dumps
from .wire import CONTENT_TYPE, SCOPE, GoogleError

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
PROJECT_ID = "channelhub-sandbox"
CLIENT_EMAIL = f"channelhub-sync@{PROJECT_ID}.iam.gserviceaccount.com"
CLIENT_ID = "109876543210987654321"


@dataclass(frozen=True)
class Grant:
    """Who an access token speaks for."""

    subject: str
    scopes: frozenset[str]
    expires: float


class Tokens:
    """The access tokens issued since start, in memory, each with its Grant; thread-safe."""

    def __init__(self):
        self._lock = threading.Lock()
        self._grants: dict[str, Grant] = {}

    def issue(self, subject: str, scopes: frozenset[str], ttl: int) -> str:
        """A new access token for `subject` and `scopes`, valid `ttl` seconds (expired ones are dropped on the
        way)."""
        token = "ya29.sandbox-" + secrets.token_urlsafe(24)
        with self._lock:
            now = time.time()
            self._grants = {k: g for k, g in self._grants.items() if g.expires > now}
            self._grants[token] = Grant(subject, scopes, now + ttl)
        return token

    def lookup(self, token: str) -> Grant | None:
        """The grant of a live token, or None (unknown, revoked or expired)."""
        with self._lock:
            grant = self._grants.get(token)
        if grant is None or grant.expires <= time.time():
            return None
        return grant

    def revoke_all(self) -> int:
        """Forget every token (the `revoke_tokens` knob); returns how many there were."""
        with self._lock:
            count = len(self._grants)
            self._grants = {}
        return count

    def count(self) -> int:
        """How many tokens are held (expired ones included until the next issue)."""
        with self._lock:
            return len(self._grants)


def oauth_error(error: str, description: str, status: int = 400) -> Response:
    """An OAuth 2 error reply (`{error, error_description}`), as Google's token endpoint sends."""
    body = {"error": error, "error_description": description}
    return Response(dumps(body).encode(), status=status, content_type=CONTENT_TYPE)


def jwt_claims(assertion: str) -> dict:
    """The payload of a compact JWT, unverified; ValueError when it is not one."""
    parts = assertion.split(".")
    if len(parts) != 3:
        raise ValueError("not a JWT")
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    claims = json.loads(base64.urlsafe_b64decode(payload))
    if not isinstance(claims, dict):
        raise ValueError("JWT payload is not an object")
    return claims


def token_endpoint(tokens: Tokens, request: Request, ttl: int) -> Response:
    """Google's token endpoint for a service account: a jwt-bearer assertion (not verified) for an access
    token."""
    grant_type = request.form.get("grant_type", "")
    if grant_type != JWT_BEARER:
        return oauth_error("unsupported_grant_type", f"Invalid grant_type {grant_type!r}; use {JWT_BEARER}.")
    try:
        claims = jwt_claims(request.form.get("assertion", ""))
    except ValueError:
        return oauth_error("invalid_grant", "Invalid JWT assertion.")
    subject = str(claims.get("sub") or claims.get("iss") or "")
    if not subject:
        return oauth_error("invalid_grant", "Invalid JWT: no sub or iss claim.")
    exp = claims.get("exp")
    if isinstance(exp, int | float) and exp < time.time() - 60:
        return oauth_error(
            "invalid_grant", "Invalid JWT: Token must be a short-lived token and in a reasonable timeframe."
        )
    scopes = frozenset(str(claims.get("scope") or "").split())
    if not scopes:
        return oauth_error(
            "unauthorized_client", "Client is unauthorized to retrieve access tokens: no scope."
        )
    token = tokens.issue(subject, scopes, ttl)
    body = {"access_token": token, "expires_in": ttl, "token_type": "Bearer"}
    return Response(dumps(body).encode(), status=200, content_type=CONTENT_TYPE)


def authenticate(tokens: Tokens, request: Request) -> Grant:
    """The grant behind the request's bearer token, or 401/403 in the Google envelope."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    challenge = {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'}
    if scheme.lower() != "bearer" or not token.strip():
        raise GoogleError(
            "UNAUTHENTICATED",
            "Request is missing required authentication credential. Expected OAuth 2 access token.",
            "CREDENTIALS_MISSING",
            challenge,
        )
    grant = tokens.lookup(token.strip())
    if grant is None:
        raise GoogleError(
            "UNAUTHENTICATED",
            "Request had invalid authentication credentials. Expected OAuth 2 access token.",
            "ACCESS_TOKEN_EXPIRED",
            challenge,
        )
    if SCOPE not in grant.scopes:
        raise GoogleError(
            "PERMISSION_DENIED",
            "Request had insufficient authentication scopes.",
            "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
        )
    return grant


# -- the service-account key file


def _private_key_pem(key_path: Path) -> bytes:
    """The sandbox's RSA key, generated once and kept beside the state (2048-bit generation
    takes a noticeable fraction of a second; tests and the demo start often)."""
    if key_path.exists():
        return key_path.read_bytes()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    _write_atomically(key_path, pem)
    return pem


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def write_service_account(
    path: str | os.PathLike, token_uri: str, *, key_path: str | os.PathLike | None = None
) -> Path:
    """Write a service-account key file (as the Google Cloud console downloads it) whose
    `token_uri` is the sandbox's /token; returns its path. The key is cached in `key_path`
    (default: the file's path + `.pem`)."""
    path = Path(path)
    key_file = Path(key_path) if key_path else path.with_name(path.name + ".pem")
    pem = _private_key_pem(key_file)
    info = {
        "type": "service_account",
        "project_id": PROJECT_ID,
        "private_key_id": hashlib.sha1(pem).hexdigest(),  # noqa: S324 - an id, not security
        "private_key": pem.decode(),
        "client_email": CLIENT_EMAIL,
        "client_id": CLIENT_ID,
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": f"https://www.googleapis.com/robot/v1/metadata/x509/{CLIENT_EMAIL.replace('@', '%40')}",
        "universe_domain": "googleapis.com",
    }
    _write_atomically(path, (json.dumps(info, indent=2) + "\n").encode())
    return path
