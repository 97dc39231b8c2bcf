"""Staff actions on channel partner links (distributors): change the link state."""

from __future__ import annotations

from django.db import transaction

from channelhub.actions.targets import ActionTarget
from channelhub.models import UpstreamAction
from channelhub.services import ServiceError

from ..choices import LinkState
from ..models import ChannelPartnerLink

# Channel partner link states: from -> the states a patch may set. The documented rule is
# that an INVITED link cannot become ACTIVE or SUSPENDED (INVALID_ARGUMENT); a revoked link
# is taken as final [inferred].
LINK_STATE_TRANSITIONS: dict[str, tuple[str, ...]] = {
    LinkState.INVITED: (LinkState.REVOKED,),
    LinkState.ACTIVE: (LinkState.SUSPENDED, LinkState.REVOKED),
    LinkState.SUSPENDED: (LinkState.ACTIVE, LinkState.REVOKED),
    LinkState.REVOKED: (),
}

LINKS = ActionTarget(ChannelPartnerLink)


def link_state_words(state: str) -> str:
    """A link state in words ("suspended")."""
    return LinkState(state).label.lower() if state in LinkState.values else state or "in no known state"


@transaction.atomic
def channel_partner_link_change_state(*, link, link_state: str, actor) -> UpstreamAction:
    """Set a link ACTIVE, SUSPENDED or REVOKED (patch with updateMask link_state)."""
    check = _change_check(link.pk, link_state)
    link = LINKS.prepare(link, actor, "change_state", "change partner links", check=check)
    return LINKS.record(
        link,
        actor,
        "change_state",
        {"linkState": link_state},
        message=f"{link_state_words(link.link_state)} → {link_state_words(link_state)}",
        check=check,
        before={"link_state": link.link_state},
    )


def _change_check(pk: str, link_state: str):
    """The link can go to `link_state`: by the service, and again under the link's lock."""

    def check(link) -> None:
        allowed = LINK_STATE_TRANSITIONS.get(link.link_state, ())
        if link_state == link.link_state:
            raise ServiceError(f"Partner link {link} is already {link_state_words(link_state)}.")
        if link_state not in allowed:
            options = " or ".join(link_state_words(s) for s in allowed) or "nothing else"
            raise ServiceError(
                f"Partner link {link} is {link_state_words(link.link_state)}; it can become {options}, "
                f"not {link_state_words(link_state)}.",
                code="transition",
            )

    return check
