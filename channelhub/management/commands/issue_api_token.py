"""python manage.py issue_api_token USERNAME [--name NAME] [--expires DAYS|never]: print a new API token once.

Tokens expire after 90 days (`DEFAULT_LIFETIME_DAYS`) unless `--expires` says otherwise.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from channelhub.actors import system_actor
from channelhub.api.tokens import token_issue
from channelhub.models.tokens import DEFAULT_LIFETIME_DAYS
from channelhub.services import ServiceError


class Command(BaseCommand):
    """Issues an API token for a user through the audited service, as the system actor."""

    help = (
        "Issue a read API token for USERNAME and print it (once: only its hash is stored). "
        "The token reads what the user's permissions allow (e.g. the 'readonly' group)."
    )

    def add_arguments(self, parser):
        """USERNAME, `--name` (who will use it) and `--expires` DAYS."""
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="Who or what will use it (default: 'cli')")
        parser.add_argument(
            "--expires",
            default=str(DEFAULT_LIFETIME_DAYS),
            metavar="DAYS|never",
            help=f"Expire after DAYS days (default {DEFAULT_LIFETIME_DAYS}), or 'never'",
        )

    def handle(self, *args, username, name, expires, **options):
        """Issue the token and print it once: the secret on stdout, what it is on stderr."""
        User = get_user_model()
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(
                f"No user {username!r}. Create one in the admin (and add it to 'readonly')."
            ) from None
        days = _days(expires)
        try:
            # Audited as the system actor: an operator's shell is not a person the app knows.
            token, plain = token_issue(
                actor=system_actor(), user=user, name=name or "cli", expires_in_days=days
            )
        except ServiceError as error:
            raise CommandError(error.message) from error
        when = f"expires {token.expires_at:%Y-%m-%d %H:%M} UTC" if token.expires_at else "never expires"
        self.stderr.write(
            f"Token {token.name!r} for {username} ({when}). Shown once; send it as 'Authorization: Bearer <token>':"
        )
        self.stdout.write(plain)


def _days(expires: str) -> int | None:
    """`--expires`: a positive number of days, or `never` (None)."""
    expires = str(expires)
    if expires.strip().lower() == "never":
        return None
    try:
        days = int(expires)
    except ValueError:
        raise CommandError(f"--expires takes a number of days or 'never', not {expires!r}.") from None
    if days <= 0:
        raise CommandError("--expires must be a positive number of days (or 'never').")
    return days
