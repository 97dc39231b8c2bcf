"""The API's last_seen filter is served by an index (issue 13). Resources are a big table the
workers keep writing to: built concurrently on PostgreSQL, so it is safe while the old code runs."""

from django.db import migrations, models

from channelhub.models.indexes import AddIndexOnline


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY runs outside a transaction

    dependencies = [
        ("inventory", "0001_initial"),
    ]

    operations = [
        AddIndexOnline(
            model_name="resource",
            index=models.Index(fields=["last_seen_at"], name="resource_last_seen"),
        ),
    ]
