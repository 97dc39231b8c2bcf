"""Staff MFA: who must verify, enrolment of a TOTP device with recovery codes, verification.

Secrets never reach the audit trail: events name the user and the device kind, never a key,
a code or a recovery code.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django_otp import login as otp_login
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from channelhub.actions.services import audit

if TYPE_CHECKING:
    from django.http import HttpRequest

SUPERUSER = "superuser"  # the pseudo-role of MFA_REQUIRED_FOR that means `is_superuser`
RECOVERY_CODES = 10
TOTP_DIGITS = 6  # TOTPDevice's default
KEY_BYTES = 20  # RFC 4226's recommended shared-secret length
TOTP_NAME = "authenticator app"
RECOVERY_NAME = "recovery codes"


def mfa_required(user) -> bool:
    """Whether this signed-in user must verify a second factor (their role is in MFA_REQUIRED_FOR)."""
    roles = tuple(getattr(settings, "MFA_REQUIRED_FOR", ()))
    if not roles or not getattr(user, "is_authenticated", False):
        return False
    if SUPERUSER in roles and user.is_superuser:
        return True
    groups = [role for role in roles if role != SUPERUSER]
    return bool(groups) and user.groups.filter(name__in=groups).exists()


def has_device(user) -> bool:
    """Whether the user has a confirmed TOTP device (else they must enrol before verifying)."""
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


def is_verified(request: HttpRequest) -> bool:
    """Whether this session was verified with a second factor (django-otp's OTPMiddleware)."""
    verified = getattr(request.user, "is_verified", None)
    return bool(verified and verified())


def new_key() -> str:
    """A fresh TOTP secret, hex as TOTPDevice stores it."""
    return secrets.token_hex(KEY_BYTES)


@dataclass(frozen=True)
class Enrolment:
    """What the setup page shows for a key: the secret in base32 and the otpauth:// URI."""

    secret: str
    uri: str


def describe(user, key: str) -> Enrolment:
    """The base32 secret and otpauth:// URI of `key` for `user` (an unsaved device: nothing written)."""
    device = TOTPDevice(user=user, name=TOTP_NAME, key=key)
    return Enrolment(secret=base64.b32encode(device.bin_key).decode(), uri=device.config_url)


def code_matches(key: str, code: str) -> int | None:
    """The time step `code` is valid for with `key` (one step of drift either way), else None."""
    code = _clean(code)
    if not code.isdigit():
        return None
    device = TOTPDevice(key=key)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return totp.t() if totp.verify(int(code), tolerance=1) else None


def enrol(request: HttpRequest, *, key: str, code: str) -> list[str] | None:
    """Confirm `key` with a current `code`: replace the user's devices with a confirmed TOTP device
    and RECOVERY_CODES single-use codes, verify this session, and return the codes (shown once).

    A wrong code writes nothing but its audit event and returns None.
    """
    user = request.user
    step = code_matches(key, code)
    if step is None:
        _audit(user, "mfa.enrol_failed", "enrolment refused: wrong code")
        return None
    with transaction.atomic():
        replaced = TOTPDevice.objects.filter(user=user).delete()[0] > 0
        StaticDevice.objects.filter(user=user).delete()
        device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, key=key, confirmed=True, last_t=step)
        recovery = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
        StaticToken.objects.bulk_create(StaticToken(device=recovery, token=c) for c in codes)
        words = f"TOTP device and {RECOVERY_CODES} recovery codes"
        _audit(user, "mfa.enrolled", words + (", replacing the previous ones" if replaced else ""))
    otp_login(request, device)
    return codes


def verify(request: HttpRequest, *, code: str) -> bool:
    """Check `code` against the user's TOTP device, then their recovery codes (each works once);
    on success mark the session verified. Either outcome is audited, the code never."""
    user = request.user
    code = _clean(code)
    # A code goes to the one kind of device it can be for, so a recovery code does not count
    # as a failure against the app's device (each device throttles its own failures).
    kind = TOTPDevice if len(code) == TOTP_DIGITS and code.isdigit() else StaticDevice
    device = next((d for d in kind.objects.devices_for_user(user) if d.verify_token(code)), None)
    if device is None:
        _audit(user, "mfa.verify_failed", "second factor refused")
        return False
    otp_login(request, device)
    if isinstance(device, StaticDevice):
        _audit(user, "mfa.recovery_code_used", f"recovery code used; {device.token_set.count()} left")
    else:
        _audit(user, "mfa.verified", "second factor verified")
    return True


def _clean(code: str) -> str:
    """A code as typed, without spaces (apps show `123 456`)."""
    return (code or "").strip().replace(" ", "")


def _audit(user, action: str, message: str) -> None:
    """One MFA event about `user`, by `user`: never a key or a code in it."""
    audit(actor=user, action=action, target_type="auth.user", target_id=str(user.pk), message=message)
