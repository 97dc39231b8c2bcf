"""Search by what staff see, on indexes only (issue 15).

- `FulfillmentRequest.id_reversed`: the id backwards, so the id's tail ("1238-001") is a prefix.
- `Entitlement.short_id`: the last segment of the name, as the entitlement list shows it.
- Case-insensitive indexes for the start of a name (requests' customer and product names,
  Channel customers' organisation name). Django's `istartswith`/`iexact` are `LIKE` on SQLite
  (case-insensitive: only a `COLLATE NOCASE` index serves it) and `UPPER(col::text) LIKE
  UPPER(...)` on PostgreSQL (served by an index on that very expression, `text_pattern_ops` so
  any database collation works). Neither index can be declared portably in a model's Meta, so
  they are created here per database and named in the models' comments.

Both new columns are backfilled from the primary key in batches, with the ORM (the same step
on SQLite and PostgreSQL); a resync writes the same values through the mappers.
"""

from django.db import migrations, models

BATCH = 2000

# (index name, table, column)
CASE_INSENSITIVE = (
    ("pr_customer_name_ci", "fulfillment_fulfillmentrequest", "customer_name"),
    ("pr_product_name_ci", "fulfillment_fulfillmentrequest", "product_name"),
    ("cust_org_name_ci", "fulfillment_customer", "org_display_name"),
)


def _backfill(model, column, value_of):
    batch = []
    for row in model.objects.only("id").order_by().iterator(chunk_size=BATCH):
        setattr(row, column, value_of(row.pk))
        batch.append(row)
        if len(batch) >= BATCH:
            model.objects.bulk_update(batch, [column])
            batch = []
    if batch:
        model.objects.bulk_update(batch, [column])


def fill_search_columns(apps, schema_editor):
    """id_reversed and short_id of the rows already mirrored."""
    _backfill(apps.get_model("fulfillment", "FulfillmentRequest"), "id_reversed", lambda pk: pk[::-1][:64])
    _backfill(apps.get_model("fulfillment", "Entitlement"), "short_id", lambda pk: pk.rsplit("/", 1)[-1][:64])


def create_case_insensitive_indexes(apps, schema_editor):
    """The per-database index serving `istartswith` / `iexact` on each CASE_INSENSITIVE column."""
    vendor = schema_editor.connection.vendor
    for name, table, column in CASE_INSENSITIVE:
        if vendor == "sqlite":
            schema_editor.execute(f'CREATE INDEX "{name}" ON "{table}" ("{column}" COLLATE NOCASE)')
        elif vendor == "postgresql":
            schema_editor.execute(
                f'CREATE INDEX "{name}" ON "{table}" ((UPPER("{column}"::text)) text_pattern_ops)'
            )


def drop_case_insensitive_indexes(apps, schema_editor):
    """Undo `create_case_insensitive_indexes`."""
    if schema_editor.connection.vendor in ("sqlite", "postgresql"):
        for name, _, _ in CASE_INSENSITIVE:
            schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):

    dependencies = [
        ("fulfillment", "0009_channel_transfer_permission"),
    ]

    operations = [
        migrations.AddField(
            model_name="entitlement",
            name="short_id",
            field=models.CharField(
                blank=True,
                db_index=True,
                default="",
                editable=False,
                help_text="The last segment of the name, as the list shows it",
                max_length=64,
            ),
        ),
        migrations.AddField(
            model_name="fulfillmentrequest",
            name="id_reversed",
            field=models.CharField(blank=True, db_index=True, default="", editable=False, max_length=64),
        ),
        migrations.RunPython(fill_search_columns, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(create_case_insensitive_indexes, drop_case_insensitive_indexes),
    ]
