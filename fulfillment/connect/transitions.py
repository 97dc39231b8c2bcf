"""Connect's staff actions, each declared once: which action, on what, from which status to
which, who may, and the form, service, executor and template that carry it out.

From connect-api.md (§2.1 requests, §2.3 tier config requests), the official workflow
diagrams. Registered from `fulfillment.connect.registration`; the services check the
from-states against the mirrored status before queuing an action (and again under the row's
lock), the admin offers the forms they allow, and the outbox's "already applied" check uses
the target states.
"""

from __future__ import annotations

from channelhub.actions.specs import ActionSpec, transition_table
from channelhub.services import ServiceError

from . import forms, services
from .choices import RequestStatus as RS
from .choices import TierConfigRequestStatus as TS
from .executors import RequestExecutor, RequestNoteExecutor, TierConfigRequestExecutor
from .models import FulfillmentRequest, TierConfigRequest

FORMS = "admin/fulfillment/actions"


def not_a_migration(spec: ActionSpec, obj) -> None:
    """Migration requests belong to Connect's migration tool; staff only add notes to them."""
    if getattr(obj, "is_migration", False):
        raise ServiceError(
            f"{spec.what} {obj.pk} is a migration (its asset has migration_info); migrations are "
            "processed by the migration tool, not acted on here.",
            code="migration",
        )


def assigned(spec: ActionSpec, obj) -> None:
    """Unassign needs someone assigned."""
    if not obj.assignee_id and not obj.assignee_name:
        raise ServiceError(f"{spec.what} {obj.pk} is not assigned to anyone.")


def _actions(model, prefix, what, perm, executor, rows, templates=None):
    """The specs of one target: rows of (verb, label, from-states, to-state, form, service)."""
    return tuple(
        ActionSpec(
            kind=f"{prefix}.{verb}",
            model=model,
            what=what,
            label=label,
            perm=perm,
            from_states=tuple(sources),
            to_state=target,
            guards=(not_a_migration,),
            checks=(assigned,) if verb == "unassign" else (),
            form=form,
            service=service,
            executor=executor,
            template=(templates or {}).get(verb, f"{FORMS}/_{verb}.html"),
        )
        for verb, label, sources, target, form, service in rows
    )


REQUEST_ACTIONS = (
    *_actions(
        FulfillmentRequest,
        "connect.request",
        "Request",
        "fulfillment.act_fulfillmentrequest",
        RequestExecutor,
        [
            ("approve", "Approve", (RS.PENDING,), RS.APPROVED, forms.ApproveForm, services.request_approve),
            ("inquire", "Inquire", (RS.PENDING,), RS.INQUIRING, forms.InquireForm, services.request_inquire),
            ("fail", "Fail", (RS.PENDING, RS.TIERS_SETUP), RS.FAILED, forms.FailForm, services.request_fail),
            ("pend", "Back to pending", (RS.INQUIRING,), RS.PENDING, forms.PendForm, services.request_pend),
            (
                "update_params",
                "Save parameter values",
                (RS.DRAFT, RS.TIERS_SETUP, RS.PENDING, RS.INQUIRING),
                None,
                forms.UpdateParamsForm,
                services.request_update_params,
            ),
            (
                "assign",
                "Assign",
                (*RS.OPEN_STATES, RS.DRAFT),
                None,
                forms.AssignForm,
                services.request_assign,
            ),
            (
                "unassign",
                "Unassign",
                (*RS.OPEN_STATES, RS.DRAFT),
                None,
                forms.UnassignForm,
                services.request_unassign,
            ),
        ],
    ),
    # A note goes to the conversation, whatever the status, a migration's too.
    ActionSpec(
        kind="connect.request.add_note",
        model=FulfillmentRequest,
        what="Request",
        label="Add note",
        perm="fulfillment.act_fulfillmentrequest",
        from_states=tuple(RS.values),
        form=forms.NoteForm,
        service=services.request_add_note,
        executor=RequestNoteExecutor,
        template=f"{FORMS}/_add_note.html",
    ),
)

TIER_CONFIG_REQUEST_ACTIONS = _actions(
    TierConfigRequest,
    "connect.tcr",
    "Tier config request",
    "fulfillment.act_tierconfigrequest",
    TierConfigRequestExecutor,
    [
        (
            "approve",
            "Approve",
            (TS.PENDING,),
            TS.APPROVED,
            forms.TierConfigApproveForm,
            services.tier_config_request_approve,
        ),
        (
            "inquire",
            "Inquire",
            (TS.PENDING, TS.TIERS_SETUP, TS.DRAFT),
            TS.INQUIRING,
            forms.InquireForm,
            services.tier_config_request_inquire,
        ),
        (
            "fail",
            "Fail",
            (TS.PENDING, TS.INQUIRING, TS.TIERS_SETUP),
            TS.FAILED,
            forms.FailForm,
            services.tier_config_request_fail,
        ),
        (
            "pend",
            "Back to pending",
            (TS.INQUIRING, TS.TIERS_SETUP, TS.DRAFT),
            TS.PENDING,
            forms.PendForm,
            services.tier_config_request_pend,
        ),
        (
            "update_params",
            "Save parameter values",
            (TS.DRAFT, TS.TIERS_SETUP, TS.PENDING, TS.INQUIRING),
            None,
            forms.UpdateParamsForm,
            services.tier_config_request_update_params,
        ),
        (
            "assign",
            "Assign",
            (*TS.OPEN_STATES, TS.DRAFT),
            None,
            forms.AssignForm,
            services.tier_config_request_assign,
        ),
        (
            "unassign",
            "Unassign",
            (*TS.OPEN_STATES, TS.DRAFT),
            None,
            forms.UnassignForm,
            services.tier_config_request_unassign,
        ),
    ],
    templates={"approve": f"{FORMS}/_tcr_approve.html"},
)

ACTIONS = REQUEST_ACTIONS + TIER_CONFIG_REQUEST_ACTIONS

# action -> (statuses it is allowed from, status it leads to or None): what the specs say.
REQUEST_TRANSITIONS = transition_table(REQUEST_ACTIONS)
TIER_CONFIG_REQUEST_TRANSITIONS = transition_table(TIER_CONFIG_REQUEST_ACTIONS)
