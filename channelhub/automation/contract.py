"""The processor contract: what a processor declares, what it is given, what it answers.

A processor is a class (registered by an app, or by a plug-in module named in
`settings.AUTOMATION_PLUGINS`) with a `name`, a `version`, and `events`: the extension
framework's event types it handles, each with the statuses it subscribes to
(`{"asset_purchase_request_processing": ["pending"]}`). Its `process(obj)` gets a read-only
view of the mirrored object (the SDK's helpers: `get_param_by_id`, `needs_migration`, items,
tiers, contract, marketplace, conversation) and returns a `Decision`, which is data: it can be
shown, tested, and recorded in dry run without being done. The legacy SDK's exceptions
(`InquireRequest`, `FailRequest`, `SkipRequest`) are understood too, as the same decisions.
Any other exception is a failure: retried with backoff, then shown, never a silent skip.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import ClassVar

# What a decision may be (`Decision.kind`); the subject of the object says which it can do.
APPROVE, INQUIRE, FAIL, UPDATE_PARAMS = "approve", "inquire", "fail", "update_params"
SKIP, RESCHEDULE = "skip", "reschedule"
SUBMIT, ACCEPT, REJECT, CLOSE = "submit", "accept", "reject", "close"
KINDS = (APPROVE, INQUIRE, FAIL, UPDATE_PARAMS, SKIP, RESCHEDULE, SUBMIT, ACCEPT, REJECT, CLOSE)
# Decisions that change nothing upstream.
QUIET = (SKIP, RESCHEDULE)
# The extension framework's floor for a reschedule (connect-eaas-core: 30 seconds).
MIN_RESCHEDULE_SECONDS = 30


@dataclass(frozen=True)
class Decision:
    """What a processor decided about one object. Build one with the class methods.

    `data` carries what the action needs (`template_id`, `activation_tile`, `param_errors`,
    `values`, `note`); `reason` says why, in words staff read on the object's page.
    """

    kind: str
    reason: str = ""
    data: Mapping = field(default_factory=dict)
    after_seconds: int = 0

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown decision {self.kind!r} (one of {', '.join(KINDS)})")
        object.__setattr__(self, "data", MappingProxyType(dict(self.data)))

    @classmethod
    def approve(cls, *, template_id: str = "", tile: str = "", reason: str = "") -> Decision:
        """Approve with an activation template (by id) or a tile (markdown); a tier config
        request may be approved with neither (Connect's own template is kept)."""
        if template_id and tile:
            raise ValueError("approve with a template or with a tile, not both")
        data = {"template_id": template_id} if template_id else ({"activation_tile": tile} if tile else {})
        return cls(APPROVE, reason, data)

    @classmethod
    def inquire(cls, errors: Mapping[str, str], *, template_id: str = "", reason: str = "") -> Decision:
        """Ask the customer to fix parameters: {parameter id: what is wrong}."""
        errors = {str(k): str(v) for k, v in errors.items() if str(v).strip()}
        if not errors:
            raise ValueError("an inquiry names at least one parameter and what is wrong with it")
        data = {"param_errors": errors, **({"template_id": template_id} if template_id else {})}
        return cls(INQUIRE, reason or "; ".join(f"{k}: {v}" for k, v in errors.items()), data)

    @classmethod
    def fail(cls, reason: str) -> Decision:
        """Fail the object for good; the reason is shown to the customer."""
        if not str(reason).strip():
            raise ValueError("a failure says why")
        return cls(FAIL, str(reason), {"reason": str(reason)})

    @classmethod
    def update_params(cls, values: Mapping[str, str | Mapping], *, reason: str = "") -> Decision:
        """Set parameter values: {parameter id: a text, or a phone's, an address's or a
        checkbox's parts as a mapping (its `structured_value`, as Connect keeps it)}."""
        return cls(
            UPDATE_PARAMS,
            reason,
            {"values": {str(k): dict(v) if isinstance(v, Mapping) else v for k, v in values.items()}},
        )

    @classmethod
    def skip(cls, reason: str = "") -> Decision:
        """Leave it (for a person, or until it changes); it is not asked again until it changes."""
        return cls(SKIP, reason)

    @classmethod
    def reschedule(cls, seconds: int = MIN_RESCHEDULE_SECONDS, *, reason: str = "") -> Decision:
        """Ask again after `seconds` (at least 30, as the extension framework has it)."""
        return cls(RESCHEDULE, reason, after_seconds=max(int(seconds), MIN_RESCHEDULE_SECONDS))

    @classmethod
    def submit(cls, reason: str = "") -> Decision:
        """Submit a usage file (vendor side)."""
        return cls(SUBMIT, reason)

    @classmethod
    def accept(cls, note: str, *, reason: str = "") -> Decision:
        """Accept a usage file (provider side) with an acceptance note."""
        return cls(ACCEPT, reason or note, {"note": note})

    @classmethod
    def reject(cls, note: str, *, reason: str = "") -> Decision:
        """Reject a usage file with a rejection note (the vendor reads it)."""
        return cls(REJECT, reason or note, {"note": note})

    @classmethod
    def close(cls, reason: str = "") -> Decision:
        """Close an accepted usage file."""
        return cls(CLOSE, reason)

    def as_record(self) -> dict:
        """What is stored of the decision (the task's `detail`)."""
        record = dict(self.data)
        if self.after_seconds:
            record["after_seconds"] = self.after_seconds
        return record

    def in_words(self) -> str:
        """'approve with template TL-1', 'inquire: email: missing', for lists and the shell."""
        if self.kind == APPROVE:
            what = self.data.get("template_id") or "an activation tile"
            text = f"approve with {'template ' if self.data.get('template_id') else ''}{what}"
        elif self.kind == RESCHEDULE:
            text = f"reschedule in {self.after_seconds} s"
        else:
            text = self.kind.replace("_", " ")
        return f"{text}: {self.reason}" if self.reason else text


# --- the legacy SDK's exceptions (seed 000), read as decisions --------------------------------


class InquireRequest(Exception):  # noqa: N818 - the SDK's name, kept so ported processors read as before
    """Raise to inquire: `params` are views' parameters with `value_error` set, or a mapping."""

    def __init__(self, message: str = "", params=()):
        super().__init__(message)
        if isinstance(params, Mapping):
            self.errors = {str(k): str(v) for k, v in params.items()}
        else:
            self.errors = {p.id: p.value_error for p in params}


class FailRequest(Exception):  # noqa: N818 - the SDK's name
    """Raise to fail the request; the message is the reason."""


class SkipRequest(Exception):  # noqa: N818 - the SDK's name
    """Raise to leave the request alone."""


def decision_of_exception(exc: BaseException) -> Decision | None:
    """The decision an SDK exception means; None for any other exception (a failure)."""
    if isinstance(exc, InquireRequest):
        return Decision.inquire(exc.errors, reason=str(exc))
    if isinstance(exc, FailRequest):
        return Decision.fail(str(exc) or "Failed by the processor")
    if isinstance(exc, SkipRequest):
        return Decision.skip(str(exc))
    return None


class Processor:
    """The base of every processor. Subclass, set the class attributes, write `process`."""

    name: ClassVar[str] = ""
    version: ClassVar[str] = "1"
    description: ClassVar[str] = ""
    # {event type: statuses}: the extension framework's names (connect-eaas-core's EventType).
    events: ClassVar[dict[str, tuple[str, ...]]] = {}
    # Seconds a handler may take before it counts as failed (the framework's background 300 s).
    timeout: ClassVar[int] = 300

    def process(self, obj):  # pragma: no cover - every processor says what it does
        """Decide about `obj` (a read-only view); return a `Decision`."""
        raise NotImplementedError

    @classmethod
    def statuses_for(cls, event_type: str) -> tuple[str, ...]:
        """The statuses this processor subscribes to for an event type (empty: not handled)."""
        return tuple(cls.events.get(event_type, ()))

    @classmethod
    def label(cls) -> str:
        """'connect.purchase_rules 1.0', as the audit trail names it."""
        return f"{cls.name} {cls.version}"


class ReadOnlyView:
    """The base of the views processors get: attribute reads only, no writes, no save()."""

    __slots__ = ()

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is read-only: decide with a Decision instead")


class Ref(ReadOnlyView):
    """An id and a name, as the SDK's objects had them (`request.contract`, `asset.product`,
    `usage_file.vendor`, ...); false when there is no id."""

    __slots__ = ("id", "name")

    def __init__(self, id: str, name: str = ""):  # noqa: A002 - the SDK's attribute name
        object.__setattr__(self, "id", id or "")
        object.__setattr__(self, "name", name or "")

    def __bool__(self):
        return bool(self.id)

    def __repr__(self):
        return f"<{self.id} {self.name}>"


def frozen(value):
    """A JSON value made read-only all the way down (dicts as mapping proxies, lists as tuples)."""
    if isinstance(value, dict):
        return MappingProxyType({k: frozen(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(frozen(v) for v in value)
    return value
