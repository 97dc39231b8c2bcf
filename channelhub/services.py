"""What every service shares: the one domain error type, and permission checks."""

from __future__ import annotations


class ServiceError(Exception):
    """A refusal a person can act on: the message says what is wrong and what to do.

    Raised by every service (`request_approve`, `action_retry`, ...) for invalid transitions,
    missing permissions, bad input and conflicts. Views show `message` as it is.
    """

    def __init__(self, message: str, *, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self):
        return self.message


def require_perm(actor, perm: str, doing: str) -> None:
    """Refuse unless `actor` has `perm` (a role's permission), naming what was refused."""
    if actor is None or not actor.is_authenticated or not actor.is_active:
        raise ServiceError(f"You must be logged in to {doing}.", code="permission")
    if not actor.has_perm(perm):
        raise ServiceError(f"You are not allowed to {doing} (your role lacks '{perm}').", code="permission")
