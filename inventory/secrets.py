"""Which parameters of a source are secret, and how they are shown: censored, as NetBox
censors a data source's parameters. A secret value is never shown back, logged or audited;
a form posting the mask back keeps the stored value."""

from __future__ import annotations

import re

MASK = "********"
SECRET_KEY = re.compile(r"(pass(word)?|secret|token|api[_-]?key|auth|credential|private|key$)", re.IGNORECASE)
SECRET_SECTIONS = ("credentials",)  # every value under these keys is secret


def is_secret(key: str) -> bool:
    """Whether a parameter named `key` holds a secret."""
    return bool(SECRET_KEY.search(key))


def censored(parameters, *, _inside: bool = False):
    """`parameters` with every secret value replaced by the mask (a copy; any depth)."""
    if isinstance(parameters, dict):
        out = {}
        for key, value in parameters.items():
            secret = _inside or key in SECRET_SECTIONS or is_secret(str(key))
            if secret and not isinstance(value, dict | list):
                out[key] = MASK if value not in (None, "") else value
            else:
                out[key] = censored(value, _inside=secret)
        return out
    if isinstance(parameters, list):
        return [censored(v, _inside=_inside) for v in parameters]
    return MASK if _inside and parameters not in (None, "") else parameters


def secret_values(parameters, *, _inside: bool = False) -> tuple[str, ...]:
    """Every secret string in `parameters` (to censor from a connector's logs and errors)."""
    found: list[str] = []
    if isinstance(parameters, dict):
        for key, value in parameters.items():
            secret = _inside or key in SECRET_SECTIONS or is_secret(str(key))
            found += secret_values(value, _inside=secret)
    elif isinstance(parameters, list):
        for value in parameters:
            found += secret_values(value, _inside=_inside)
    elif _inside and isinstance(parameters, str | int) and len(str(parameters)) >= 4:
        found.append(str(parameters))
    return tuple(dict.fromkeys(found))


def merged(old, new):
    """`new` as posted by a form that showed `old` censored: a masked value keeps the old one."""
    if isinstance(new, dict):
        old = old if isinstance(old, dict) else {}
        return {key: merged(old.get(key), value) for key, value in new.items()}
    if isinstance(new, list):
        old = old if isinstance(old, list) else []
        return [merged(old[i] if i < len(old) else None, v) for i, v in enumerate(new)]
    if new == MASK and old is not None:
        return old
    return new


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    """`text` with every secret in it masked."""
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            text = text.replace(secret, MASK)
    return text
