"""Connect's selectors: the staff queues, the assignees, the details and the template reads,
on the mirror (SQLite and PostgreSQL; the assignees are a loose index scan on PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fulfillment.connect import selectors
from fulfillment.models import Conversation, FulfillmentRequest, TierConfigRequest

from .factories import (
    BASE_TIME,
    AssetFactory,
    ConversationFactory,
    ConversationMessageFactory,
    FulfillmentRequestFactory,
    TemplateFactory,
    TierAccountFactory,
    TierConfigFactory,
    TierConfigRequestFactory,
)

pytestmark = pytest.mark.django_db

ME = {"id": "UR-000-000-001", "name": "Ada Staff", "email": "ada@example.com"}
SOMEONE = {"id": "UR-000-000-002", "name": "Bob Other", "email": "bob@example.com"}


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user("ada", "ADA@example.com", "pw", is_staff=True)


@pytest.fixture
def requests_by_status():
    """Two pending (the older created later, so ids and time disagree), one inquiring, one
    approved; mine are one pending and the inquiring one."""
    return {
        "pending_new": FulfillmentRequestFactory(status="pending", created=BASE_TIME + timedelta(days=2)),
        "pending_old": FulfillmentRequestFactory(status="pending", created=BASE_TIME, assignee=ME),
        "inquiring": FulfillmentRequestFactory(status="inquiring", assignee=ME),
        "approved": FulfillmentRequestFactory(status="approved", assignee=ME),
    }


def ids(queryset) -> list[str]:
    return [row.pk for row in queryset]


def test_request_queues(requests_by_status, staff):
    r = {name: row.pk for name, row in requests_by_status.items()}
    assert ids(selectors.request_queue(queue="pending")) == [r["pending_old"], r["pending_new"]]
    assert ids(selectors.request_queue(queue="inquiring")) == [r["inquiring"]]
    assert set(ids(selectors.request_queue(queue="open"))) == {
        r["pending_old"],
        r["pending_new"],
        r["inquiring"],
    }
    assert ids(selectors.request_queue(queue="closed")) == [r["approved"]]
    # Assigned to me: open only, by email whatever its case, oldest first.
    assert ids(selectors.request_queue(queue="mine", user=staff)) == [r["pending_old"], r["inquiring"]]


def test_assigned_to_me_without_an_email_is_empty(requests_by_status, django_user_model):
    nobody = django_user_model.objects.create_user("nomail", "", "pw", is_staff=True)
    assert ids(selectors.request_queue(queue="mine", user=nobody)) == []
    assert ids(selectors.request_queue(queue="mine")) == []


def test_a_queue_narrows_the_callers_queryset(requests_by_status):
    old = requests_by_status["pending_old"]
    narrowed = FulfillmentRequest.objects.exclude(pk=old.pk)
    assert ids(selectors.request_queue(queue="pending", queryset=narrowed)) == [
        requests_by_status["pending_new"].pk
    ]


def test_an_unknown_queue_says_which_there_are():
    with pytest.raises(ValueError, match="open, pending, inquiring, mine, closed"):
        selectors.request_queue(queue="urgent")


def test_tier_config_request_queues(staff):
    mine = TierConfigRequestFactory(status="pending", assignee=ME)
    other = TierConfigRequestFactory(status="inquiring", assignee=SOMEONE)
    done = TierConfigRequestFactory(status="approved", assignee=ME)
    assert ids(selectors.tier_config_request_queue(queue="pending")) == [mine.pk]
    assert ids(selectors.tier_config_request_queue(queue="inquiring")) == [other.pk]
    assert ids(selectors.tier_config_request_queue(queue="mine", user=staff)) == [mine.pk]
    assert ids(selectors.tier_config_request_queue(queue="closed")) == [done.pk]
    assert selectors.tier_config_request_queue(queue="open").model is TierConfigRequest


def test_assignees_by_name_without_the_unassigned():
    FulfillmentRequestFactory(assignee=SOMEONE)
    FulfillmentRequestFactory(assignee=ME)
    FulfillmentRequestFactory(assignee=ME)
    FulfillmentRequestFactory(assignee={})
    assert selectors.assignee_list(model=FulfillmentRequest) == [
        (ME["id"], ME["name"]),
        (SOMEONE["id"], SOMEONE["name"]),
    ]
    assert selectors.assignee_list(model=FulfillmentRequest, limit=1) == [(ME["id"], ME["name"])]
    TierConfigRequestFactory(assignee=SOMEONE)
    assert selectors.assignee_list(model=TierConfigRequest) == [(SOMEONE["id"], SOMEONE["name"])]


def test_bulk_selection_is_oldest_first_and_bounded(requests_by_status):
    rows = selectors.requests_for_bulk_action(queryset=FulfillmentRequest.objects.all(), limit=2)
    assert len(rows) == 3  # one more than the limit: the caller refuses the selection
    assert rows[0].pk == requests_by_status["pending_old"].pk
    assert rows == sorted(rows, key=lambda r: (r.created, r.pk))


def test_request_detail_reads_the_mirrored_asset_and_the_thread(django_assert_num_queries):
    request = FulfillmentRequestFactory(asset_status="processing", updated=BASE_TIME)
    AssetFactory(asset_id=request.asset_id, asset_status="active", updated=BASE_TIME + timedelta(hours=1))
    conversation = ConversationFactory(instance_id=request.pk)
    later = ConversationMessageFactory(
        conversation_id=conversation.pk, created=BASE_TIME + timedelta(hours=2)
    )
    earlier = ConversationMessageFactory(conversation_id=conversation.pk, created=BASE_TIME)
    ConversationMessageFactory(conversation_id=ConversationFactory(instance_id="PR-9999-9999-9999-001").pk)
    with django_assert_num_queries(2):
        detail = selectors.request_detail(request=request)
        assert detail.asset.pk == request.asset_id
        assert detail.asset_status == "active"  # the mirrored asset, not the request's copy
        assert [m.pk for m in detail.thread] == [earlier.pk, later.pk]
        assert detail.thread[0].conversation.instance_id == request.pk  # joined, not one query each


def test_after_an_action_the_requests_fresher_copy_of_the_asset_wins():
    """Approve wrote the request (its asset active now) at once; the asset's own sync is older."""
    request = FulfillmentRequestFactory(asset_status="active", updated=BASE_TIME + timedelta(hours=2))
    AssetFactory(asset_id=request.asset_id, asset_status="processing", updated=BASE_TIME)
    assert selectors.request_detail(request=request).asset_status == "active"


def test_request_detail_without_a_mirrored_asset_uses_the_requests_copy():
    request = FulfillmentRequestFactory(asset_status="processing")
    detail = selectors.request_detail(request=request)
    assert detail.asset is None
    assert detail.asset_status == "processing"
    assert detail.thread == []


def test_asset_requests_newest_first():
    asset = AssetFactory()
    old = FulfillmentRequestFactory(asset_id=asset.pk, created=BASE_TIME)
    new = FulfillmentRequestFactory(asset_id=asset.pk, created=BASE_TIME + timedelta(days=1))
    FulfillmentRequestFactory()  # another asset's
    assert ids(selectors.asset_requests(asset=asset)) == [new.pk, old.pk]
    assert ids(selectors.asset_requests(asset=asset, limit=1)) == [new.pk]


def test_tier_config_detail():
    config = TierConfigFactory()
    account = TierAccountFactory(account_id=config.account_id)
    tcr = TierConfigRequestFactory(configuration_id=config.pk)
    detail = selectors.tier_config_detail(tier_config=config)
    assert ids(detail.requests) == [tcr.pk]
    assert detail.account.pk == account.pk
    assert (
        selectors.tier_config_detail(tier_config=TierConfigFactory(account_id="TA-0000-0000-0000")).account
        is None
    )


def test_conversations_of_an_object_newest_first():
    older = ConversationFactory(instance_id="PR-1111-1111-1111-001")
    newer = ConversationFactory(instance_id="PR-1111-1111-1111-001")
    Conversation.objects.filter(pk=older.pk).update(created=BASE_TIME)
    Conversation.objects.filter(pk=newer.pk).update(created=BASE_TIME + timedelta(hours=1))
    ConversationFactory(instance_id="PR-2222-2222-2222-001")
    assert ids(selectors.conversations_of_instance(instance_id="PR-1111-1111-1111-001")) == [
        newer.pk,
        older.pk,
    ]
    narrowed = Conversation.objects.exclude(pk=newer.pk)
    assert ids(
        selectors.conversations_of_instance(instance_id="PR-1111-1111-1111-001", queryset=narrowed)
    ) == [older.pk]


def test_conversation_messages_oldest_first():
    conversation = ConversationFactory()
    second = ConversationMessageFactory(
        conversation_id=conversation.pk, created=BASE_TIME + timedelta(hours=1)
    )
    first = ConversationMessageFactory(conversation_id=conversation.pk, created=BASE_TIME)
    assert ids(selectors.conversation_messages(conversation=conversation)) == [first.pk, second.pk]


def test_template_reads():
    product = "PRD-100-100-100"
    second = TemplateFactory(product_id=product, type="fulfillment", scope="asset", title="B")
    first = TemplateFactory(product_id=product, type="fulfillment", scope="asset", title="A")
    TemplateFactory(product_id=product, type="inquire", scope="asset")
    TemplateFactory(product_id="PRD-200-200-200", type="fulfillment", scope="asset")
    choices = selectors.template_choices(product_id=product, type="fulfillment", scope="asset")
    assert [t.pk for t in choices] == [first.pk, second.pk]  # by position, then title
    assert list(selectors.template_choices(product_id=None, type="fulfillment", scope="asset")) == []
    assert selectors.product_templates(product_id=product).count() == 3
    found = selectors.template_get(template_id=first.pk)
    assert (found.product_id, found.type, found.scope) == (product, "fulfillment", "asset")
    assert selectors.template_get(template_id="TL-000-000-000") is None
