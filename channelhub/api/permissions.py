"""Reads follow the user's model permissions: GET needs `view_<model>`.

A user's permission set is cached (`API_PERMISSION_CACHE_SECONDS`, default 60) so a read
costs no permission queries; any change of a user's groups or permissions, or of a group's
permissions, bumps a version that empties it at once (in this process's cache, or everywhere
with a shared cache such as Redis; with per-process caches other workers see the change
within the timeout).
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db.models.signals import m2m_changed, post_save
from django.dispatch import receiver
from rest_framework.permissions import DjangoModelPermissions

_VERSION_KEY = "api-perms-version"


def user_permissions(user) -> frozenset[str]:
    """`user.get_all_permissions()`, cached per user and permission version."""
    version = cache.get_or_set(_VERSION_KEY, 1, None)
    key = f"api-perms:{version}:{user.pk}"
    perms = cache.get(key)
    if perms is None:
        perms = frozenset(user.get_all_permissions())
        cache.set(key, perms, settings.API_PERMISSION_CACHE_SECONDS)
    return perms


def forget_permissions(**kwargs) -> None:
    """Invalidate every cached permission set (a signal handler: groups, permissions, memberships)."""
    try:
        cache.incr(_VERSION_KEY)
    except ValueError:
        cache.set(_VERSION_KEY, 1, None)


class ModelViewPermission(DjangoModelPermissions):
    """`DjangoModelPermissions` for a read-only API: listing or reading a model needs its view_*.

    The `readonly` role (channelhub.roles) has view_* on every mirrored model and on the
    engine's state, so a token of a readonly user reads everything the API serves.
    """

    perms_map: ClassVar[dict[str, list[str]]] = {
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
    }

    def has_permission(self, request, view):
        """Reading needs the model's view_* (cached); active superusers and opted-out views pass."""
        user = request.user
        if not user or not user.is_authenticated:
            return False
        if user.is_superuser:
            return user.is_active
        if getattr(view, "_ignore_model_permissions", False):
            return True
        required = self.get_required_permissions(request.method, self._queryset(view).model)
        return user.is_active and set(required) <= user_permissions(user)


class CanReadSomething(ModelViewPermission):
    """The API root and the schema: for a user who may read at least one collection.

    What they describe is not secret, but a token with no permissions at all gets 403 here
    as it does everywhere else (there is nothing it may read).
    """

    def has_permission(self, request, view):
        """Any view_* permission will do, since these pages describe every collection, not one model."""
        user = request.user
        if not user or not user.is_authenticated or not user.is_active:
            return False
        return user.is_superuser or any(".view_" in perm for perm in user_permissions(user))


@receiver(post_save, sender=Group)
@receiver(post_save, sender=Permission)
def _on_save(**kwargs):
    forget_permissions()


def _connect_m2m():
    User = get_user_model()
    for through in (User.groups.through, User.user_permissions.through, Group.permissions.through):
        m2m_changed.connect(forget_permissions, sender=through, dispatch_uid=f"api-perms-{through.__name__}")


_connect_m2m()
