"""Staff actions on a detail page: the forms, the act and progress views, recent actions, the audit."""

from __future__ import annotations

import copy

from django.contrib import messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.urls import path, reverse
from django.utils.dateparse import parse_datetime

from channelhub.actions import selectors
from channelhub.actions.specs import spec_for, specs_of, target_type_of
from channelhub.admin.kit import audit_words, pretty_json, status_badge
from channelhub.models import ActionStatus
from channelhub.services import ServiceError


def operation_progress(action) -> dict | None:
    """An open action's long-running operation, as its executor keeps it on the action: its
    name, how long it has run and how many times it was polled (None when there is none)."""
    state = action.response if isinstance(action.response, dict) else {}
    if not action.is_open or not state.get("operation"):
        return None
    started = parse_datetime(str(state.get("started_at") or "")) or action.created_at
    return {"name": state["operation"], "since": started, "polls": int(state.get("polls") or 0)}


class StaffActionsMixin:
    """Action forms, action progress and audit trail on the detail page of an actionable model.

    Each form POSTs to `<object>/act/<action>/` (an admin view: staff login and CSRF), which
    calls the service and redirects back with a message, or re-renders the page with the
    service's refusal and the user's input. Which actions there are, their forms, services
    and templates come from the model's registered `ActionSpec`s; which forms show, from the
    specs' states and checks and the user's permission; the services check both again.

    Hooks for an upstream's own rules: `can_act_on(obj)` (e.g. never on a migration request),
    `form_kwargs(spec, obj)` (what a form needs beyond its object: templates, offers),
    `shows_form(action, form)`, `upstream_name` and `queued_message`.
    """

    upstream_name = "the upstream"
    object_kwarg = ""  # the service's keyword for the object

    # -- the specs

    def action_specs(self) -> dict:
        """{action: spec} of the actions on this model's rows (not those that create one)."""
        return {spec.action: spec for spec in specs_of(self.model) if not spec.creates}

    @property
    def target_type(self) -> str:
        """ "app_label.model", as the outbox records it."""
        return target_type_of(self.model)

    # -- what the page offers --

    def has_act_permission(self, request, obj=None) -> bool:
        """Whether the user may do any action on this model."""
        return any(request.user.has_perm(spec.perm) for spec in self.action_specs().values())

    def can_act_on(self, obj) -> bool:
        """Whether staff may act on this object at all (whatever its status)."""
        return True

    def shows_form(self, action: str, form) -> bool:
        """Whether to show an offered action's form (e.g. not one with nothing to fill in)."""
        return True

    def offered_actions(self, request, obj) -> list[str]:
        """Actions to offer: allowed by the object's state and the role, in the specs' order."""
        if not self.has_act_permission(request, obj) or not self.can_act_on(obj):
            return []
        return [
            action
            for action, spec in self.action_specs().items()
            if request.user.has_perm(spec.perm) and spec.refusal_of(obj) is None
        ]

    def form_kwargs(self, spec, obj) -> dict:
        """What the form of `spec` needs beyond its object and data (none by default)."""
        return {}

    def build_form(self, action: str, obj, data=None):
        """The form of one action for this object, bound to `data` when given."""
        spec = self.action_specs()[action]
        return spec.form(data, obj=obj, spec=spec, **self.form_kwargs(spec, obj))

    def act_url(self, obj, action: str) -> str:
        """Where the form of `action` on `obj` POSTs to."""
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_act", args=[quote(obj.pk), action]
        )

    def action_context(self, request, obj, bound_forms: dict) -> dict:
        """The forms, the open action, recent actions and the audit trail of `obj`'s page."""
        open_action = selectors.open_action(target_type=self.target_type, target_id=obj.pk)
        offered = [] if open_action is not None else self.offered_actions(request, obj)
        if self.has_act_permission(request, obj) and self.can_act_on(obj):
            # A refused form comes back with what was typed, even if the refusal was that the
            # action is no longer possible: nothing the user wrote is lost.
            offered += [a for a in bound_forms if a not in offered]
        forms = []
        for action in offered:
            try:
                form = bound_forms.get(action) or self.build_form(action, obj)
            except ServiceError as exc:
                # What the form needs was refused upstream (the object is gone there and the
                # mirror has not caught up yet): the rest of the page still shows, and why not this.
                messages.warning(request, f"{self.action_specs()[action].label}: {exc}")
                continue
            if not self.shows_form(action, form):
                continue
            forms.append(
                {
                    "action": action,
                    "form": form,
                    "url": self.act_url(obj, action),
                    "template": self.action_specs()[action].template,
                }
            )
        target = {"target_type": self.target_type, "target_id": obj.pk}
        recent = selectors.recent_actions(**target)
        events = [
            {
                "event": event,
                "before": pretty_json(event.before) if event.before else "",
                "after": pretty_json(event.after) if event.after else "",
                "words": audit_words(event.action, event.actor_name),
            }
            for event in selectors.audit_trail(**target)
        ]
        user = request.user
        return {
            "can_act": self.has_act_permission(request, obj),
            "action_forms": forms,
            "action_form_by_name": {entry["action"]: entry for entry in forms},
            "open_action": open_action,
            "recent_actions": [self.action_row(a, obj) for a in recent],
            "can_retry": user.has_perm("channelhub.retry_upstreamaction"),
            "can_cancel": user.has_perm("channelhub.cancel_upstreamaction"),
            "audit_events": events,
            "progress_url": reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_progress", args=[quote(obj.pk)]
            ),
            "change_url": reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[quote(obj.pk)]
            ),
        }

    def action_row(self, action, obj) -> dict:
        """One row of the progress table: the action, its badge, what its button said, the
        operation it follows (while open), and why a retry could not succeed (if it could not)."""
        try:
            spec = spec_for(action.kind)
        except LookupError:
            spec = None
        row = {
            "action": action,
            "badge": status_badge(action.status, action.get_status_display()),
            "label": spec.label if spec is not None else action.verb.capitalize(),
            "operation": operation_progress(action),
            "hopeless": "",
        }
        if action.status == ActionStatus.FAILED and spec is not None and action.error_code:
            # A rejection by the upstream whose rule the object's state still breaks: retrying
            # would be refused again. Say so, and what to do instead.
            row["hopeless"] = spec.refusal_of(obj) or ""
        return row

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        """The detail page, with its action forms, progress and audit trail."""
        if obj is not None:
            context.update(self.action_context(request, obj, context.get("bound_forms") or {}))
        return super().render_change_form(
            request, context, add=add, change=change, form_url=form_url, obj=obj
        )

    # -- the views --

    def get_urls(self):
        """The act and progress views beside the admin's own."""
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/act/<str:action>/",
                self.admin_site.admin_view(self.act_view),
                name="{}_{}_act".format(*info),
            ),
            path(
                "<path:object_id>/progress/",
                self.admin_site.admin_view(self.progress_view),
                name="{}_{}_progress".format(*info),
            ),
            *super().get_urls(),
        ]

    def _get_viewable(self, request, object_id):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(f"No {self.opts.verbose_name} {object_id} in the mirror.")
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        return obj

    def act_view(self, request, object_id, action):
        """POST one action's form: call the service, then redirect back or show the refusal."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self._get_viewable(request, object_id)
        spec = self.action_specs().get(action)
        if spec is None:
            raise Http404(f"No action '{action}' on a {self.opts.verbose_name}.")
        form = self.build_form(action, obj, data=request.POST)
        if not form.is_valid():
            messages.error(request, "Please correct the errors below.")
            return self._rerender(request, object_id, {action: form})
        try:
            upstream_action = spec.service(
                **{self.object_kwarg: obj}, actor=request.user, **form.service_kwargs()
            )
        except ServiceError as error:
            messages.error(request, error.message)
            return self._rerender(request, object_id, {action: form})
        messages.success(request, self.queued_message(obj, form, upstream_action))
        return HttpResponseRedirect(self.act_redirect_url(obj))

    def queued_message(self, obj, form, upstream_action) -> str:
        """The message after a form queued its action."""
        return (
            f"{upstream_action.verb.capitalize()} queued for {obj.pk}: it is being sent to {self.upstream_name}; "
            "its progress shows below."
        )

    def act_redirect_url(self, obj) -> str:
        """Back to the detail page's progress, after an action was queued."""
        return (
            reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[quote(obj.pk)])
            + "#ch-progress"
        )

    def _rerender(self, request, object_id, bound_forms: dict):
        """The detail page again, with the refused form still holding what the user typed."""
        # The admin's change view treats a POST as a save; this is a view of the page.
        as_get = copy.copy(request)
        as_get.method = "GET"
        return self.change_view(as_get, object_id, extra_context={"bound_forms": bound_forms})

    def progress_view(self, request, object_id):
        """Tiny JSON for the page's poller: is an action still in flight, and the latest one."""
        obj = self._get_viewable(request, object_id)
        latest = selectors.latest_action(target_type=self.target_type, target_id=obj.pk)
        return JsonResponse(
            {
                "open": bool(latest and latest.status in ActionStatus.OPEN_STATES),
                "latest": (
                    {
                        "id": latest.pk,
                        "kind": latest.kind,
                        "status": latest.status,
                        "attempts": latest.attempts,
                    }
                    if latest
                    else None
                ),
            }
        )
