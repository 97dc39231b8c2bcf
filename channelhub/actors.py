"""The system actor: who acts when no person does (operators' commands, automation).

A named service user, `channelhub-system`, in the `system` role (channelhub.roles). It goes
through the same services and permission checks as staff, and the audit trail names it, so
"the system did it" is always told apart from a person. It cannot log in: it has no usable
password and is not staff.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from channelhub.roles import SYSTEM

SYSTEM_USERNAME = "channelhub-system"


def system_actor():
    """The system user, created on first use, with a fresh permission cache."""
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=SYSTEM_USERNAME, defaults={"is_active": True, "is_staff": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    group = Group.objects.filter(name=SYSTEM).first()
    if group is not None and not user.groups.filter(pk=group.pk).exists():
        user.groups.add(group)
    return User.objects.get(pk=user.pk)
