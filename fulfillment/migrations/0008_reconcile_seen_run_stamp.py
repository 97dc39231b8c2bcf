"""Reconciled Channel rows carry `seen_run`, the last sync run that listed them: reconcile stamps
the run on each page's rows instead of holding every key it saw in memory (issue 11 §4)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("fulfillment", "0007_images_as_links"),
    ]

    operations = [
        migrations.AddField(
            model_name="channelpartnerlink",
            name="seen_run",
            field=models.BigIntegerField(
                blank=True,
                editable=False,
                help_text="The last sync run that listed it",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="channelproduct",
            name="seen_run",
            field=models.BigIntegerField(
                blank=True,
                editable=False,
                help_text="The last sync run that listed it",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="customer",
            name="seen_run",
            field=models.BigIntegerField(
                blank=True,
                editable=False,
                help_text="The last sync run that listed it",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="entitlement",
            name="seen_run",
            field=models.BigIntegerField(
                blank=True,
                editable=False,
                help_text="The last sync run that listed it",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="offer",
            name="seen_run",
            field=models.BigIntegerField(
                blank=True,
                editable=False,
                help_text="The last sync run that listed it",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="sku",
            name="seen_run",
            field=models.BigIntegerField(
                blank=True,
                editable=False,
                help_text="The last sync run that listed it",
                null=True,
            ),
        ),
    ]
