"""A connector raising nflex's errors (or its own same-named class), as `event["error"]` says."""

from nflex_connector_utils.errors import InsufficientPermission, InvalidCredentials, NoBillingReport


class InvalidCredentialsError(Exception):
    """Not nflex's: a different name, so an ordinary error."""


class OwnErrors:
    """Classes of the connector's own, named as nflex's."""

    class InvalidCredentials(Exception):  # noqa: N818 - the name is the point
        """The connector's own, same-named class: it counts as nflex's."""


def get(event, context):
    """Raise the error asked for."""
    errors = {
        "invalid_credentials": InvalidCredentials,
        "insufficient_permission": InsufficientPermission,
        "no_billing_report": NoBillingReport,
        "own_invalid_credentials": OwnErrors.InvalidCredentials,
        "not_quite": InvalidCredentialsError,
    }
    message = event.get("message")
    context.log("checking the credentials")
    raise errors[event["error"]](message) if message else errors[event["error"]]()
