"""What automation can work on: a `Subject` per kind of mirrored object, declared by its app.

The core knows no domain model. An app declares, for each model processors may decide on
(Connect requests, tier config requests, usage files): its event type for a row (by the
request's type), the row's status and product, the read-only view a processor gets, and how
each decision becomes the app's own staff service, called as the system actor, so it goes
through the same checks, the same one-open-action rule and the same outbox as a person's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache

from django.apps import apps
from django.db import models

from channelhub import registry
from channelhub.actions.specs import target_type_of


@dataclass(frozen=True, eq=False)
class Subject:
    """One kind of object processors decide on.

    - `model`: the mirrored model ("app_label.Model" or the class);
    - `event_type(row) -> str`: the framework's event type of a row
      (`asset_purchase_request_processing`);
    - `event_types`: every event type the subject can have (for listing and checks);
    - `view(row)`: the read-only view handed to `Processor.process`;
    - `product_of(row) -> str`: the product id, for per-product settings;
    - `apply`: {decision kind: `(row, decision, actor) -> UpstreamAction`}, the app's services;
    - `status_field`: the row's status column; `select_related`: what the view reads beside it.
    """

    model: type[models.Model] | str
    event_types: tuple[str, ...]
    event_type: Callable[[models.Model], str]
    view: Callable[[models.Model], object]
    product_of: Callable[[models.Model], str]
    apply: Mapping[str, Callable] = field(default_factory=dict)
    status_field: str = "status"
    select_related: tuple[str, ...] = ()

    @property
    def model_class(self) -> type[models.Model]:
        """The model class."""
        return apps.get_model(self.model) if isinstance(self.model, str) else self.model

    @property
    def target_type(self) -> str:
        """`app_label.model_name`, as the outbox names targets."""
        return target_type_of(self.model_class)

    def rows(self):
        """The model's rows, with what the view reads."""
        queryset = self.model_class._default_manager.all()
        return queryset.select_related(*self.select_related) if self.select_related else queryset

    def status_of(self, row) -> str:
        """The row's status."""
        return getattr(row, self.status_field, "")


def all_subjects() -> tuple[Subject, ...]:
    """Every registered subject."""
    return registry.automation_subjects()


@cache
def _by_type() -> dict[str, Subject]:
    return {subject.target_type: subject for subject in all_subjects()}


def subject_for_type(target_type: str) -> Subject:
    """The subject of a target type (LookupError when none is registered)."""
    try:
        return _by_type()[target_type]
    except KeyError:
        raise LookupError(f"automation has no subject {target_type!r}") from None


def subject_of(model: type[models.Model]) -> Subject | None:
    """The subject of a model, None when processors do not work on it."""
    return _by_type().get(target_type_of(model))


def subjects_of_event(event_type: str) -> list[Subject]:
    """The subjects that can raise an event type."""
    return [subject for subject in all_subjects() if event_type in subject.event_types]
