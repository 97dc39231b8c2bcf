"""Stored markdown HTML loses its <img> tags: each becomes a link that loads the image only on
a click (channelhub.markdown). Rows are rewritten only where they hold an image; a sync would
not do it, since the upstream payload of such a row has not changed."""

from django.db import migrations

FIELDS = (
    ("Template", "body_html"),
    ("FulfillmentRequest", "activation_html"),
    ("TierConfig", "template_html"),
    ("TierConfigRequest", "template_html"),
    ("ConversationMessage", "text_html"),
)


def images_as_links(apps, schema_editor):
    from channelhub.markdown import sanitise_html

    for model_name, field in FIELDS:
        model = apps.get_model("fulfillment", model_name)
        rows = model.objects.filter(**{f"{field}__contains": "<img"}).values_list("pk", field)
        for pk, stored in rows.iterator(chunk_size=500):
            model.objects.filter(pk=pk).update(**{field: sanitise_html(stored)})


class Migration(migrations.Migration):
    dependencies = [("fulfillment", "0006_connect_sdk_filter_indexes")]

    operations = [migrations.RunPython(images_as_links, migrations.RunPython.noop, elidable=True)]
