"""Staff actions on channel partner links (distributors): change the link state."""

from __future__ import annotations

from django.db import transaction

from channelhub.models import UpstreamAction
from channelhub.services import ServiceError

from ..choices import LinkState
from ..transitions import LINK_STATE_TRANSITIONS
from .common import LINK_TARGET, prepare, record


def _words(state: str) -> str:
    return LinkState(state).label.lower() if state in LinkState.values else state or "in no known state"


@transaction.atomic
def channel_partner_link_change_state(*, link, link_state: str, actor) -> UpstreamAction:
    """Set a link ACTIVE, SUSPENDED or REVOKED (patch with updateMask link_state)."""
    from fulfillment.channel.models import ChannelPartnerLink

    link = prepare(
        ChannelPartnerLink,
        link,
        actor,
        "fulfillment.act_channelpartnerlink",
        "change partner links",
        "Partner link",
    )
    _check_change(link, link.pk, link_state)
    return record(
        kind="partner_link.change_state",
        target_type=LINK_TARGET,
        target_id=link.pk,
        check=lambda row: _check_change(row, link.pk, link_state),
        payload={"linkState": link_state},
        actor=actor,
        before={"link_state": link.link_state},
        message=f"{_words(link.link_state)} → {_words(link_state)}",
    )


def _check_change(link, pk: str, link_state: str) -> None:
    """The link can go to `link_state`: by the service, and again under the link's lock."""
    if link is None:
        raise ServiceError(f"Partner link {pk} is not in the mirror.", code="missing")
    if link.is_gone:
        raise ServiceError(f"Partner link {link} is no longer listed upstream.", code="missing")
    allowed = LINK_STATE_TRANSITIONS.get(link.link_state, ())
    if link_state == link.link_state:
        raise ServiceError(f"Partner link {link} is already {_words(link_state)}.")
    if link_state not in allowed:
        options = " or ".join(_words(s) for s in allowed) or "nothing else"
        raise ServiceError(
            f"Partner link {link} is {_words(link.link_state)}; it can become {options}, not {_words(link_state)}.",
            code="transition",
        )
