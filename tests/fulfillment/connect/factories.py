"""factory-boy factories for the Connect fulfillment mirror.

Every factory builds a realistic upstream payload from the real fixtures in
`tests/fixtures/connect/` (changing only ids and the knobs a test asks for), then runs the
app's own mapper on it, exactly as a sync would: the typed columns and `payload` always
agree. Knobs are factory `Params` (e.g. `FulfillmentRequestFactory(status="inquiring",
customer_name="ACME")`), so they shape the payload, never a column behind its back.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import factory
from factory.django import DjangoModelFactory

from channelhub.sync.upsert import canonical_json, digest
from fulfillment.connect import mappers
from fulfillment.models import (
    Asset,
    Conversation,
    ConversationMessage,
    FulfillmentRequest,
    Hub,
    Marketplace,
    Product,
    Template,
    TierAccount,
    TierConfig,
    TierConfigRequest,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "connect"
BASE_TIME = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


@cache
def _fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text()


def load_fixture(name: str) -> dict:
    """A fresh (mutable) copy of a fixture file."""
    return json.loads(_fixture_text(name))


def ts(value: datetime) -> str:
    """A datetime in Connect's wire format (`2020-11-23T14:18:17+00:00`)."""
    return value.astimezone(UTC).replace(microsecond=0).isoformat()


def _split(n: int) -> str:
    return f"{n // 10000:04d}-{n % 10000:04d}"


class MirroredFactory(DjangoModelFactory):
    """Builds `payload`, maps it with the app's mapper, and saves the row as a sync would."""

    class Meta:
        abstract = True

    @classmethod
    def map(cls, payload: dict, kwargs: dict) -> dict:
        raise NotImplementedError

    @classmethod
    def _instantiate(cls, model_class, kwargs: dict):
        payload = kwargs.pop("payload")
        fields = cls.map(payload, kwargs)
        fields.update(kwargs)
        return model_class(
            id=payload["id"], payload=payload, payload_hash=digest(canonical_json(payload)), **fields
        )

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        return cls._instantiate(model_class, kwargs)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        obj = cls._instantiate(model_class, kwargs)
        obj.save(force_insert=True)
        return obj


# --- small tables --------------------------------------------------------------------------


def _product_payload(o) -> dict:
    p = load_fixture("product.json")
    p.update(id=o.product_id, name=o.name, status=o.status)
    return p


class ProductFactory(MirroredFactory):
    class Meta:
        model = Product

    class Params:
        n = factory.Sequence(int)
        product_id = factory.LazyAttribute(lambda o: f"PRD-{o.n:03d}-000-001")
        name = factory.LazyAttribute(lambda o: f"Product {o.n}")
        status = "published"

    payload = factory.LazyAttribute(_product_payload)

    @classmethod
    def map(cls, payload, kwargs):
        return mappers.map_product(payload)


def _template_payload(o) -> dict:
    p = load_fixture("template.json")
    p.update(id=o.template_id, title=o.title, name=o.title, body=o.body, scope=o.scope, type=o.type)
    return p


class TemplateFactory(MirroredFactory):
    class Meta:
        model = Template

    class Params:
        n = factory.Sequence(int)
        template_id = factory.LazyAttribute(lambda o: f"TL-{o.n:03d}-000-001")
        title = factory.LazyAttribute(lambda o: f"Activation template {o.n}")
        body = "# Welcome\n\nYour subscription is **active**. See [the portal](https://portal.example.com)."
        scope = "asset"
        type = "fulfillment"

    # Templates are listed per product and do not carry it: the stream passes it in.
    product_id = "PRD-276-377-545"
    payload = factory.LazyAttribute(_template_payload)

    @classmethod
    def map(cls, payload, kwargs):
        return mappers.map_template(payload, product_id=kwargs.pop("product_id"))


def _marketplace_payload(o) -> dict:
    p = load_fixture("marketplace.json")
    p.update(id=o.marketplace_id, name=o.name)
    return p


class MarketplaceFactory(MirroredFactory):
    class Meta:
        model = Marketplace

    class Params:
        n = factory.Sequence(int)
        marketplace_id = factory.LazyAttribute(lambda o: f"MP-{10000 + o.n}")
        name = factory.LazyAttribute(lambda o: f"Marketplace {o.n}")

    payload = factory.LazyAttribute(_marketplace_payload)

    @classmethod
    def map(cls, payload, kwargs):
        return mappers.map_marketplace(payload)


def _hub_payload(o) -> dict:
    p = load_fixture("hub.json")
    p.update(id=o.hub_id, name=o.name)
    return p


class HubFactory(MirroredFactory):
    class Meta:
        model = Hub

    class Params:
        n = factory.Sequence(int)
        hub_id = factory.LazyAttribute(lambda o: f"HB-{_split(o.n)}")
        name = factory.LazyAttribute(lambda o: f"Hub {o.n}")

    payload = factory.LazyAttribute(_hub_payload)

    @classmethod
    def map(cls, payload, kwargs):
        return mappers.map_hub(payload)


def _tier_account_payload(o) -> dict:
    p = load_fixture("tier_account.json")
    p.update(id=o.account_id, name=o.name, external_id=o.external_id)
    return p


class TierAccountFactory(MirroredFactory):
    class Meta:
        model = TierAccount

    class Params:
        n = factory.Sequence(int)
        account_id = factory.LazyAttribute(lambda o: f"TA-0000-{_split(o.n)}")
        name = factory.LazyAttribute(lambda o: f"Customer {o.n}")
        external_id = factory.LazyAttribute(lambda o: str(2000000 + o.n))

    payload = factory.LazyAttribute(_tier_account_payload)

    @classmethod
    def map(cls, payload, kwargs):
        return mappers.map_tier_account(payload)


# --- assets and requests -------------------------------------------------------------------


def _shape_asset(asset: dict, o) -> dict:
    """Apply the shared knobs to an asset block (standalone or inside a request)."""
    asset.update(id=o.asset_id, status=o.asset_status, external_id=o.external_id, external_uid=o.external_uid)
    asset["product"].update(id=o.product_id, name=o.product_name)
    asset["marketplace"].update(id=o.marketplace_id, name=o.marketplace_name)
    asset["connection"]["type"] = o.connection_type
    customer = asset["tiers"]["customer"]
    customer.update(id=o.customer_id, name=o.customer_name, external_id=o.customer_external_id)
    if o.items is not None:
        asset["items"] = o.items
    if o.params is not None:
        asset["params"] = o.params
    asset["events"] = {"created": {"at": ts(o.created)}, "updated": {"at": ts(o.updated)}}
    return asset


def _params(**declarations) -> type:
    """A factory `Params` class (factory-boy reads only a class's own attributes)."""
    return type("Params", (), declarations)


def _subscription_params(**overrides) -> type:
    """Knobs shared by the asset and request factories (fresh declarations per factory)."""
    return _params(
        **{
            **dict(
                n=factory.Sequence(int),
                asset_id=factory.LazyAttribute(lambda o: f"AS-0000-{_split(o.n)}"),
                asset_status="processing",
                external_id=factory.LazyAttribute(lambda o: str(1100000 + o.n)),
                external_uid=factory.LazyAttribute(lambda o: f"00000000-0000-4000-8000-{o.n:012d}"),
                product_id="PRD-276-377-545",
                product_name="My Product",
                marketplace_id="MP-91673",
                marketplace_name="Demo Marketplace",
                connection_type="production",
                customer_id=factory.LazyAttribute(lambda o: f"TA-9000-{_split(o.n)}"),
                customer_name=factory.LazyAttribute(lambda o: f"Customer {o.n}"),
                customer_external_id=factory.LazyAttribute(lambda o: str(3000000 + o.n)),
                items=None,  # None: the fixture's 18 items
                params=None,  # None: the fixture's 14 params
                created=factory.LazyAttribute(lambda o: BASE_TIME + timedelta(minutes=o.n)),
                updated=factory.LazyAttribute(lambda o: o.created + timedelta(minutes=5)),
            ),
            **overrides,
        }
    )


def _asset_payload(o) -> dict:
    asset = load_fixture("fulfillment_request.json")["asset"]
    return _shape_asset(asset, o)


class AssetFactory(MirroredFactory):
    class Meta:
        model = Asset

    Params = _subscription_params(asset_status="active")

    payload = factory.LazyAttribute(_asset_payload)

    @classmethod
    def map(cls, payload, kwargs):
        return mappers.map_asset(payload)


def _request_payload(o) -> dict:
    p = load_fixture("fulfillment_request.json")
    p.update(id=o.request_id, status=o.status, type=o.type, note=o.note, reason=o.reason)
    p["created"], p["updated"] = ts(o.created), ts(o.updated)
    p["assignee"] = o.assignee
    p["marketplace"].update(id=o.marketplace_id, name=o.marketplace_name)
    if o.template_message is None:
        p.pop("template", None)
    else:
        p["template"]["message"] = o.template_message
    _shape_asset(p["asset"], o)
    return p


class FulfillmentRequestFactory(MirroredFactory):
    class Meta:
        model = FulfillmentRequest

    Params = _subscription_params(
        request_id=factory.LazyAttribute(lambda o: f"PR-0000-{_split(o.n)}-001"),
        status="pending",
        type="purchase",
        note="",
        reason="",
        assignee=factory.LazyFunction(
            lambda: {"id": "UR-841-574-187", "name": "Marc Serrat", "email": "mserrat@odin.com"}
        ),
        template_message="Please complete our **[Activation Form](https://example.com/form)**",
    )

    payload = factory.LazyAttribute(_request_payload)

    @classmethod
    def map(cls, payload, kwargs):
        return mappers.map_request(payload)


# --- tier configs --------------------------------------------------------------------------


def _shape_configuration(conf: dict, o) -> dict:
    conf.update(id=o.configuration_id, status=o.configuration_status, tier_level=o.tier_level)
    conf["account"].update(id=o.account_id, name=o.account_name, external_id=o.account_external_id)
    conf["product"].update(id=o.product_id, name=o.product_name)
    conf["marketplace"].update(id=o.marketplace_id, name=o.marketplace_name)
    return conf


def _tier_params(**overrides) -> type:
    """Knobs shared by the tier config and TCR factories."""
    return _params(
        **{
            **dict(
                n=factory.Sequence(int),
                configuration_id=factory.LazyAttribute(
                    lambda o: f"TC-000-{o.n // 1000:03d}-{o.n % 1000:03d}"
                ),
                configuration_status="active",
                tier_level=1,
                account_id=factory.LazyAttribute(lambda o: f"TA-8000-{_split(o.n)}"),
                account_name=factory.LazyAttribute(lambda o: f"Reseller {o.n}"),
                account_external_id=factory.LazyAttribute(lambda o: str(4000000 + o.n)),
                product_id="PRD-423-715-400",
                product_name="TierParamsStage",
                marketplace_id="MP-91673",
                marketplace_name="Demo Marketplace",
                created=factory.LazyAttribute(lambda o: BASE_TIME + timedelta(minutes=o.n)),
                updated=factory.LazyAttribute(lambda o: o.created + timedelta(minutes=5)),
            ),
            **overrides,
        }
    )


def _tier_config_payload(o) -> dict:
    conf = load_fixture("tier_config_request.json")["configuration"]
    _shape_configuration(conf, o)
    conf["events"] = {"created": {"at": ts(o.created)}, "updated": {"at": ts(o.updated)}}
    return conf


class TierConfigFactory(MirroredFactory):
    class Meta:
        model = TierConfig

    Params = _tier_params()

    payload = factory.LazyAttribute(_tier_config_payload)

    @classmethod
    def map(cls, payload, kwargs):
        return mappers.map_tier_config(payload)


def _tier_config_request_payload(o) -> dict:
    p = load_fixture("tier_config_request.json")
    p.update(id=o.request_id, status=o.status, type=o.type)
    p["assignee"] = o.assignee
    if o.params is not None:
        p["params"] = o.params
    p["events"] = {"created": {"at": ts(o.created)}, "updated": {"at": ts(o.updated)}}
    _shape_configuration(p["configuration"], o)
    p["tiers"]["tier1"].update(id=o.account_id, name=o.account_name)
    return p


class TierConfigRequestFactory(MirroredFactory):
    class Meta:
        model = TierConfigRequest

    Params = _tier_params(
        request_id=factory.LazyAttribute(lambda o: f"TCR-000-{o.n // 1000:03d}-{o.n % 1000:03d}-001"),
        status="pending",
        type="setup",
        params=None,
        assignee=factory.LazyFunction(lambda: {"id": "UR-841-574-187", "name": "Marc Serrat"}),
    )

    payload = factory.LazyAttribute(_tier_config_request_payload)

    @classmethod
    def map(cls, payload, kwargs):
        return mappers.map_tier_config_request(payload)


# --- conversations -------------------------------------------------------------------------


def _conversation_payload(o) -> dict:
    p = load_fixture("conversation.json")
    p.pop("messages", None)  # messages are their own collection
    p.update(id=o.conversation_id, instance_id=o.instance_id, topic=o.topic)
    return p


class ConversationFactory(MirroredFactory):
    class Meta:
        model = Conversation

    class Params:
        n = factory.Sequence(int)
        conversation_id = factory.LazyAttribute(lambda o: f"CO-000-{o.n // 1000:03d}-{o.n % 1000:03d}")
        instance_id = "PR-1895-0864-1238-001"
        topic = factory.LazyAttribute(lambda o: f"Conversation about {o.instance_id}")

    payload = factory.LazyAttribute(_conversation_payload)

    @classmethod
    def map(cls, payload, kwargs):
        return mappers.map_conversation(payload)


def _message_payload(o) -> dict:
    p = load_fixture("conversation.json")["messages"][0]
    p.update(id=o.message_id, text=o.text, type=o.type, created=ts(o.created))
    p["creator"] = {"id": "UR-922-977-649", "name": o.creator_name}
    return p


class ConversationMessageFactory(MirroredFactory):
    class Meta:
        model = ConversationMessage

    class Params:
        n = factory.Sequence(int)
        message_id = factory.LazyAttribute(lambda o: f"ME-000-{o.n // 1000:03d}-{o.n % 1000:03d}")
        text = "Hi, could you check the **domain** parameter?"
        type = "message"
        creator_name = "Some User"
        created = factory.LazyAttribute(lambda o: BASE_TIME + timedelta(minutes=o.n))

    # Messages are listed per conversation: the stream passes the conversation in.
    conversation_id = factory.LazyFunction(lambda: ConversationFactory().id)
    payload = factory.LazyAttribute(_message_payload)

    @classmethod
    def map(cls, payload, kwargs):
        return mappers.map_message(payload, conversation_id=kwargs.pop("conversation_id"))
