"""The mappers on real Connect payloads: every typed column, and the loose corners of upstream."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime

import pytest
from django.apps import apps

from channelhub.markdown import render_markdown
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
from tests.fulfillment.connect import factories as f

RESERVED = {"id", "payload", "payload_hash", "synced_at"}


def _attnames(model) -> set[str]:
    return {f.attname for f in model._meta.concrete_fields} - RESERVED


@pytest.mark.parametrize(
    ("model", "mapper", "fixture", "kwargs"),
    [
        (Product, mappers.map_product, "product.json", {}),
        (Template, mappers.map_template, "template.json", {"product_id": "PRD-1"}),
        (Marketplace, mappers.map_marketplace, "marketplace.json", {}),
        (Hub, mappers.map_hub, "hub.json", {}),
        (TierAccount, mappers.map_tier_account, "tier_account.json", {}),
        (Asset, mappers.map_asset, "asset.json", {}),
        (FulfillmentRequest, mappers.map_request, "fulfillment_request.json", {}),
        (TierConfig, mappers.map_tier_config, "tier_config.json", {}),
        (TierConfigRequest, mappers.map_tier_config_request, "tier_config_request.json", {}),
        (Conversation, mappers.map_conversation, "conversation.json", {}),
    ],
)
def test_mapper_returns_exactly_the_model_columns(model, mapper, fixture, kwargs, connect_fixture):
    """Every column but the engine's own is mapped, by attname; nothing else is returned."""
    mapped = mapper(connect_fixture(fixture), **kwargs)
    assert set(mapped) == _attnames(model)


def test_message_mapper_returns_exactly_the_model_columns(connect_fixture):
    message = connect_fixture("conversation.json")["messages"][0]
    assert set(mappers.map_message(message, conversation_id="CO-1")) == _attnames(ConversationMessage)


@pytest.mark.parametrize(
    "mapper",
    [
        mappers.map_product,
        mappers.map_marketplace,
        mappers.map_hub,
        mappers.map_tier_account,
        mappers.map_asset,
        mappers.map_request,
        mappers.map_tier_config,
        mappers.map_tier_config_request,
        mappers.map_conversation,
    ],
)
def test_mappers_tolerate_an_almost_empty_payload(mapper):
    mapped = mapper({"id": "X-1", "assignee": "", "events": None, "tiers": {"tier2": {}}, "items": None})
    assert mapped["created"] is None and mapped["updated"] is None
    fk_ids = [v for k, v in mapped.items() if k.endswith("_id") and v is not None and v != ""]
    assert fk_ids == []  # no dangling "" foreign keys


def test_request_columns(connect_fixture):
    m = mappers.map_request(connect_fixture("fulfillment_request.json"))
    assert m["type"] == "purchase"
    assert m["status"] == "pending"
    assert m["created"] == datetime(2020, 11, 23, 14, 18, 17, tzinfo=UTC)
    assert m["updated"] == datetime(2020, 11, 23, 14, 23, 0, tzinfo=UTC)
    assert m["asset_id"] == "AS-1895-0864-1238"
    assert m["asset_status"] == "processing"
    assert m["asset_external_id"] == "1147660"
    assert m["asset_external_uid"] == "9b86f3c9-6c8c-43e4-af6e-aaa69f150693"
    assert (m["product_id"], m["product_name"]) == ("PRD-276-377-545", "My Product")
    assert (m["marketplace_id"], m["marketplace_name"]) == ("MP-91673", "Demo Marketplace")
    assert (m["connection_id"], m["connection_type"]) == ("CT-6838-5958", "production")
    assert (m["hub_id"], m["hub_name"]) == ("HB-0309-9389", "IMC DEMOS")
    assert (m["provider_id"], m["vendor_id"]) == ("PA-425-033", "VA-392-495")
    assert (m["contract_id"], m["contract_name"]) == (
        "CRD-58096-38285-80856",
        "Contract of Demo Marketplace Agreement",
    )
    # assignee as an object
    assert (m["assignee_id"], m["assignee_name"], m["assignee_email"]) == (
        "UR-841-574-187",
        "Marc Serrat",
        "mserrat@odin.com",
    )
    # nested tiers: customer and tier1 present, tier2 is an empty object upstream
    assert (m["customer_id"], m["customer_name"], m["customer_external_id"]) == (
        "TA-2483-1010-5646",
        "Mayer-Kerluke",
        "1149069",
    )
    assert (m["tier1_id"], m["tier1_name"]) == ("TA-0-2347-9392-6524", "Connectdemos")
    assert (m["tier2_id"], m["tier2_name"]) == (None, "")
    assert set(m["tiers"]) == {"customer", "tier1"}
    assert m["answered"] is False
    assert m["template_id"] == "TL-139-014-284"
    assert '<a href="https://customer.sandbox.connect.cloudblue.com/' in m["activation_html"]
    assert 'rel="noopener noreferrer"' in m["activation_html"]


def test_request_null_address_line2_becomes_empty(connect_fixture):
    payload = connect_fixture("fulfillment_request.json")
    assert payload["asset"]["tiers"]["customer"]["contact_info"]["address_line2"] is None
    card = mappers.map_request(payload)["tiers"]["customer"]["contact_info"]
    assert card["address_line2"] == ""
    assert card["address_line1"] == "1388 Feil ForkPort Leoview, MI 47687"
    assert card["country"] == "US"
    assert card["phone"] == "+1 709 8908253 ext. 280"
    assert (card["first_name"], card["last_name"], card["email"]) == (
        "Florian",
        "Langosh",
        "jazlyn25@hagenes.com",
    )


def test_request_items_keep_string_quantities_and_parse_what_they_can(connect_fixture):
    payload = connect_fixture("fulfillment_request.json")
    payload["asset"]["items"][0]["quantity"] = "unlimited"
    items = mappers.map_request(payload)["items"]
    assert len(items) == 18
    unlimited = items[0]
    assert unlimited["quantity"] == "unlimited"
    assert unlimited["quantity_int"] is None and unlimited["delta"] is None
    five = next(i for i in items if i["id"] == "PRD_276_377_545_0005")
    assert (five["old_quantity"], five["quantity"]) == ("0", "5")
    assert (five["old_quantity_int"], five["quantity_int"], five["delta"]) == (0, 5, 5)
    assert five["mpn"] == "MPN-R-005"
    assert five["display_name"] == "Reservation Item 005"
    assert five["period"] == "Monthly"
    assert five["params"][0]["id"] == "asdf"


def test_request_params_mask_passwords_and_keep_value_errors(connect_fixture):
    payload = connect_fixture("fulfillment_request.json")
    payload["asset"]["params"][0]["value_error"] = "Too short"
    del payload["asset"]["params"][1]["value_error"]  # params may lack value_error
    params = {p["id"]: p for p in mappers.map_request(payload)["params"]}
    assert len(params) == 14
    assert params["t0_f_password"]["value_error"] == "Too short"
    assert params["t0_f_text"]["value_error"] == ""
    password = params["t0_o_password"]
    assert password["secret"] is True
    assert password["display_value"] == mappers.SECRET_MASK
    assert "u#" not in password["display_value"]
    assert params["t0_o_checkbox"]["display_value"] == "V-1"
    assert params["t0_o_email"]["display_value"] == "mamam@mia.com"
    assert params["t0_o_phone"]["structured_value"]["area_code"] == "687"
    assert params["t0_o_address"]["phase"] == "ordering"


def test_pending_purchase_with_empty_assignee(connect_fixture):
    m = mappers.map_request(connect_fixture("fulfillment_request_pending_purchase.json"))
    assert (m["assignee_id"], m["assignee_name"], m["assignee_email"]) == ("", "", "")
    assert m["connection_type"] == "preview"
    assert m["contract_id"] == "CRD-00000-00000-00000"
    assert m["customer_name"] == "Macejkovic - Osinski"
    assert m["tier1_name"] == "Kilback - Terry"
    assert m["tier2_id"] is None
    assert m["template_id"] is None and m["activation_html"] == ""
    assert m["answered"] is None
    (item,) = m["items"]
    assert (item["old_quantity"], item["quantity"], item["delta"]) == ("0", "7", 7)
    assert item["display_name"] == "Demo Business Pro Edition - Seats"
    assert m["params"][0]["title"] == "SO Number (Unique Sales Order Identifier)"
    assert m["created"] == datetime(2020, 5, 21, 8, 19, 37, tzinfo=UTC)


def test_tier_config_request_columns(connect_fixture):
    m = mappers.map_tier_config_request(connect_fixture("tier_config_request.json"))
    assert (m["type"], m["status"], m["environment"]) == ("setup", "approved", "production")
    assert m["configuration_id"] == "TC-228-098-338"
    assert m["parent_configuration_id"] == "TC-980-877-258"
    assert m["tier_level"] == 1
    assert (m["account_id"], m["account_name"], m["account_external_id"]) == (
        "TA-6977-4895-5793",
        "Konkelectrics",
        "1000198",
    )
    assert (m["product_id"], m["product_name"]) == ("PRD-423-715-400", "TierParamsStage")
    assert (m["marketplace_id"], m["hub_id"], m["connection_type"]) == (
        "MP-91673",
        "HB-0309-9389",
        "production",
    )
    assert m["contract_id"] == "CRD-99082-45842-69180"
    # assignee object without email
    assert (m["assignee_id"], m["assignee_name"], m["assignee_email"]) == (
        "UR-841-574-187",
        "Marc Serrat",
        "",
    )
    # TCRs have no top-level created/updated: the events carry them
    assert m["created"] == datetime(2020, 4, 14, 16, 35, 13, tzinfo=UTC)
    assert m["updated"] == datetime(2020, 4, 14, 17, 23, 53, tzinfo=UTC)
    assert [p["id"] for p in m["params"]] == ["tier1ordering", "tier1fulfillment"]
    assert set(m["tiers"]) == {"tier1", "tier2"}
    assert m["tiers"]["tier2"]["name"] == "Connectdemos"
    assert m["template_id"] == "TL-309-614-308"
    assert "<h1>Sample Template For Setup of Tier 1</h1>" in m["template_html"]


def test_asset_columns(connect_fixture):
    m = mappers.map_asset(connect_fixture("asset.json"))
    assert m["status"] == "active"
    assert (m["external_id"], m["external_name"]) == ("12345", "Fallball 498c84b1-d53318a6")
    assert m["external_uid"] == "12435,518e10e8-3b1b-49b5-a480-b67675af4ae5"
    assert (m["product_id"], m["product_name"]) == ("CN-9861-7949-8492", "Fallball Awesome")
    assert (m["hub_id"], m["provider_name"], m["vendor_name"]) == (
        "HB-12345-12345",
        "Ingram Micro Prod DA",
        "Large Largo and Co",
    )
    assert (m["customer_id"], m["tier1_id"], m["tier2_id"]) == (
        "TA-0-9861-7949-8492",
        "TA-1-9861-7949-8492",
        "TA-2-9861-7949-8492",
    )
    assert m["customer_name"] == ""  # tiers carry ids only here
    assert (m["marketplace_id"], m["contract_id"]) == ("MP-12345", "CRP-00000-00000-00000")
    assert [(i["mpn"], i["quantity"], i["old_quantity"], i["delta"]) for i in m["items"]] == [
        ("TEAM-ST3L2TAC1M", "3", "", None),
        ("USR-FFFAC1M", "1", "", None),
    ]
    assert m["params"][0]["value"] == "daniel.lark@gmail.com"
    assert m["params"][0]["value_error"] == ""
    assert m["created"] == datetime(2018, 6, 4, 13, 19, 10, tzinfo=UTC)


def test_tier_config_columns(connect_fixture):
    m = mappers.map_tier_config(connect_fixture("tier_config.json"))
    assert (m["name"], m["tier_level"]) == ("Configuration of Reseller", 1)
    assert m["account_id"] == "TA-1-000-000-000"
    assert m["product_id"] == "PRD-000-000-000"
    assert (m["marketplace_id"], m["marketplace_name"]) == ("MP-54865", "Germany")
    assert m["open_request_id"] == "TCR-000-000-000"
    assert m["template_html"] == "<p>Render text is here......</p>"
    assert m["params"][0]["display_value"] == "param_a_value"
    assert m["updated"] == datetime(2018, 11, 21, 11, 10, 29, tzinfo=UTC)


def test_template_columns(connect_fixture):
    m = mappers.map_template(connect_fixture("template.json"), product_id="PRD-276-377-545")
    assert m["product_id"] == "PRD-276-377-545"
    assert (m["title"], m["scope"], m["type"], m["position"]) == (
        "Default Activation Template",
        "asset",
        "fulfillment",
        10000,
    )
    assert m["body"].startswith("# Sample Activation Template")
    assert "<h1>Sample Activation Template</h1>" in m["body_html"]
    assert "<strong>successful</strong>" in m["body_html"]
    assert m["updated"] == datetime(2020, 5, 2, 22, 4, 38, tzinfo=UTC)
    assert m["updated_by_name"] == "Martin Constante"


def test_small_table_columns(connect_fixture):
    mp = mappers.map_marketplace(connect_fixture("marketplace.json"))
    assert (mp["name"], mp["zone"], mp["currency"], mp["owner_id"]) == (
        "Demo Marketplace",
        "EU",
        "USD",
        "PA-425-033",
    )
    assert mp["hubs"][0] == {"id": "HB-0309-9389", "name": "IMC DEMOS", "external_id": "1"}
    ta = mappers.map_tier_account(connect_fixture("tier_account.json"))
    assert (ta["name"], ta["environment"], ta["external_id"], ta["marketplace_id"], ta["hub_id"]) == (
        "Abbott and Sons",
        "production",
        "1002976",
        "MP-91673",
        "HB-0309-9389",
    )
    assert ta["contact_info"]["address_line2"] == "second"
    assert ta["scopes"] == ["customer", "tier2", "tier1"]
    hub = mappers.map_hub(connect_fixture("hub.json"))
    assert (hub["instance_type"], hub["company_id"]) == ("oa", "PA-425-033")
    product = mappers.map_product(connect_fixture("product.json"))
    assert (product["name"], product["status"], product["version"], product["owner_id"]) == (
        "My Product",
        "published",
        3,
        "VA-392-495",
    )


def test_conversation_and_message(connect_fixture):
    payload = connect_fixture("conversation.json")
    co = mappers.map_conversation(payload)
    assert (co["instance_id"], co["topic"], co["creator_name"]) == ("LST-038-662-242", "Topic", "Some User")
    assert co["created"] == datetime(2018, 12, 18, 12, 49, 34, tzinfo=UTC)
    me = mappers.map_message(payload["messages"][0], conversation_id="CO-750-033-356")
    assert me["conversation_id"] == "CO-750-033-356"
    assert (me["text"], me["text_html"]) == ("Hi, check out", "<p>Hi, check out</p>")
    assert me["created"] == datetime(2018, 12, 18, 13, 3, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2020-11-23T14:18:17+00:00", datetime(2020, 11, 23, 14, 18, 17, tzinfo=UTC)),
        ("2020-11-23T14:18:17Z", datetime(2020, 11, 23, 14, 18, 17, tzinfo=UTC)),
        ("2020-11-23T14:18:17", datetime(2020, 11, 23, 14, 18, 17, tzinfo=UTC)),
        ("", None),
        (None, None),
        ("not a date", None),
    ],
)
def test_parse_datetime(value, expected):
    assert mappers.parse_datetime(value) == expected


def test_markdown_is_sanitised():
    html = render_markdown(
        "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n"
        "[click](javascript:alert(1)) [ok](https://example.com)\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    )
    assert "<script" not in html and "onerror=" not in html.replace("&lt;img src=x onerror", "")
    assert "<img" not in html
    assert 'href="javascript' not in html
    assert '<a href="https://example.com" rel="noopener noreferrer">ok</a>' in html
    assert "<table>" in html and "<td>1</td>" in html
    assert render_markdown("") == ""


def test_markdown_images_are_links_never_loaded():
    """A remote image would be fetched by every browser that opens the page (a tracking pixel):
    it becomes a link that opens it only on a click, its alt text escaped."""
    html = render_markdown(
        'Logo: ![a <b>"c"](https://tracker.example/p.png?u=1&v=2 "T") ![](https://x.example/y.gif)'
    )
    assert "<img" not in html
    assert (
        '<a href="https://tracker.example/p.png?u=1&amp;v=2" title="Open the image (not loaded until you click)"'
        ' rel="noopener noreferrer">image: a &lt;b&gt;"c"</a>'
    ) in html
    assert '<a href="https://x.example/y.gif"' in html and ">image</a>" in html
    # a scheme the sanitiser refuses is refused as the image's link too
    assert 'href="javascript' not in render_markdown("![x](javascript:alert(1))")
    assert "<a " not in render_markdown('![x](javascript:alert(1) "t")')


@pytest.mark.django_db
def test_the_migration_turns_stored_images_into_links():
    stored = '<p>Hi <img src="https://tracker.example/p.png" alt="a&lt;script&gt;"></p>'
    message = f.ConversationMessageFactory()
    template = f.TemplateFactory()
    type(message).objects.filter(pk=message.pk).update(text_html=stored)
    plain = template.body_html
    migration = importlib.import_module("fulfillment.migrations.0007_images_as_links")
    migration.images_as_links(apps, None)
    message.refresh_from_db()
    template.refresh_from_db()
    assert "<img" not in message.text_html and "<script" not in message.text_html
    assert message.text_html.startswith('<p>Hi <a href="https://tracker.example/p.png"')
    assert "image: a&lt;script&gt;</a>" in message.text_html
    assert template.body_html == plain  # rows without an image are left alone
