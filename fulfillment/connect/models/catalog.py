"""The small, slowly changing Connect tables: products, templates, marketplaces, hubs, tier accounts.

These are the tables the admin's filters read their choices from (never a DISTINCT over a
big table), and the targets of the big tables' foreign keys.
"""

from typing import ClassVar

from django.db import models
from django.db.models import CharField, Func

from channelhub.models import MirroredModel
from channelhub.models.fields import mirror_fk, ref, string, when
from fulfillment.connect.choices import (
    ConnectionType,
    HubInstanceType,
    ProductStatus,
    TemplateScope,
    TemplateType,
)


class Product(MirroredModel):
    """A Connect product (`PRD-…`, `/products`): what assets are subscriptions of.

    Mirrored so requests and assets can be filtered by product with readable names, and so
    staff can see the product's templates when they approve.
    """

    name = string(db_index=True)
    status = string(32, choices=ProductStatus.choices, db_index=True)
    icon = string(500)
    short_description = models.TextField(blank=True, default="")
    version = models.PositiveIntegerField(null=True, blank=True)
    owner_id = ref(db_index=True, help_text="Vendor account (VA-…)")
    owner_name = string()
    created = when()
    updated = when(db_index=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["name"]

    def __str__(self):
        return f"{self.name} ({self.id})" if self.name else self.id


class Template(MirroredModel):
    """A product template (`TL-…`, `/products/{id}/templates`): the text a customer sees.

    Staff pick one when approving (fulfillment), inquiring or pending a request. `body` is
    the vendor's markdown; `body_html` is rendered and sanitised at sync time.
    Templates do not carry their product: the stream passes it to the mapper.
    """

    product = mirror_fk(Product, "templates")
    title = string()
    name = string()
    body = models.TextField(blank=True, default="")
    body_html = models.TextField(blank=True, default="", editable=False)
    scope = string(16, choices=TemplateScope.choices)
    type = string(16, choices=TemplateType.choices)
    position = models.IntegerField(null=True, blank=True)
    created = when()
    updated = when(db_index=True)
    updated_by_name = string()

    class Meta:
        ordering: ClassVar[list[str]] = ["product_id", "position", "title"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["product", "scope", "type"], name="tl_product_scope_type"),
        ]

    def __str__(self):
        return f"{self.title or self.name} ({self.id})"


class Marketplace(MirroredModel):
    """A Connect marketplace (`MP-…`, `/marketplaces`): where a subscription is sold.

    Small; the marketplace filter of every big changelist reads its choices here.
    """

    name = string(db_index=True)
    description = models.TextField(blank=True, default="")
    owner_id = ref(help_text="Provider account (PA-…)")
    owner_name = string()
    zone = string(32)
    currency = string(8)
    icon = string(500)
    hubs = models.JSONField(default=list, blank=True, help_text="[{id, name, external_id}]")
    countries = models.JSONField(default=list, blank=True, help_text="[{id, name}]")
    created = when()
    updated = when(db_index=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["name"]

    def __str__(self):
        return f"{self.name} ({self.id})" if self.name else self.id


class Hub(MirroredModel):
    """A Connect hub (`HB-…`, `/hubs`): the provider's commerce instance behind a connection."""

    name = string(db_index=True)
    description = models.TextField(blank=True, default="")
    company_id = ref()
    company_name = string()
    instance_id = string(64)
    instance_type = string(16, choices=HubInstanceType.choices)
    created = when()
    updated = when(db_index=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["name"]

    def __str__(self):
        return f"{self.name} ({self.id})" if self.name else self.id


class ContactEmail(Func):
    """A tier account's contact email in lower case (`contact_info.email`), as the index
    `tier_contact_email` holds it. A literal path, no parameter, so SQLite can use the index."""

    template = "LOWER(JSON_EXTRACT(%(expressions)s, '$.email'))"
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra):
        """PostgreSQL's jsonb text operator."""
        return self.as_sql(compiler, connection, template="LOWER((%(expressions)s ->> 'email'))", **extra)


class ContactEmailDomain(Func):
    """The part after `@` of a tier account's contact email, lower case (index `tier_contact_domain`)."""

    template = (
        "SUBSTR(LOWER(JSON_EXTRACT(%(expressions)s, '$.email')), "
        "INSTR(LOWER(JSON_EXTRACT(%(expressions)s, '$.email')), '@') + 1)"
    )
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra):
        """PostgreSQL's jsonb text operator and split_part."""
        return self.as_sql(
            compiler, connection, template="SPLIT_PART(LOWER((%(expressions)s ->> 'email')), '@', 2)", **extra
        )


class TierAccount(MirroredModel):
    """A tier account (`TA-…`, `/tier/accounts`): a customer or reseller in the distribution chain.

    Requests and assets point at theirs as customer / tier1 / tier2, and keep the name
    beside the id so big lists need no join. Contact info is kept as the admin's address
    card shape (see `fulfillment.connect.mappers.map_contact_info`).
    """

    name = string(db_index=True)
    environment = string(16, choices=ConnectionType.choices)
    external_id = string(db_index=True)
    external_uid = string(db_index=True)
    tax_id = string(64)
    scopes = models.JSONField(default=list, blank=True, help_text="customer / tier1 / tier2")
    marketplace = mirror_fk(Marketplace, "tier_accounts")
    marketplace_name = string()
    hub = mirror_fk(Hub, "tier_accounts")
    hub_name = string()
    contact_info = models.JSONField(default=dict, blank=True)
    version = models.PositiveIntegerField(null=True, blank=True)
    created = when()
    updated = when(db_index=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["name"]
        # The same company in Cloud Channel (fulfillment.connect.selectors, "same company"):
        # a customer's contact email and domain are looked up here, not scanned for.
        indexes: ClassVar[list[models.Index]] = [
            models.Index(ContactEmail("contact_info"), name="tier_contact_email"),
            models.Index(ContactEmailDomain("contact_info"), name="tier_contact_domain"),
        ]

    def __str__(self):
        return f"{self.name} ({self.id})" if self.name else self.id
