"""Reads follow the user's model permissions: GET needs `view_<model>`."""

from rest_framework.permissions import DjangoModelPermissions


class ModelViewPermission(DjangoModelPermissions):
    """`DjangoModelPermissions` for a read-only API: listing or reading a model needs its view_*.

    The `readonly` role (channelhub.roles) has view_* on every mirrored model and on the
    engine's state, so a token of a readonly user reads everything the API serves.
    """

    perms_map = {
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
    }
