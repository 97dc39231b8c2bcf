"""Streams are named `<upstream>.<collection>` (issue 11): rename what carries a stream's name.

- `StreamState` rows (the cursor and the lock), keyed by the name;
- `SyncRun` rows, so a stream's history stays one list;
- the django-q schedules `setup_schedules` made, `sync:<name>` running
  `sync_stream_task('<name>')`: name and arguments, keeping a supervisor's pause and the next run.

Reversible: backwards renames the same rows back. Where a row of the target name already exists
(a run of the new code before this migration, say), the renamed row replaces it: it is the one
with the stream's history and cursor. Audit events and finished tasks keep the names they were
recorded with: they are history.
"""

from django.db import migrations

# A frozen copy (channelhub.sync.names.FORMER is the code's): old name -> new name.
RENAMES = {
    "products": "connect.products",
    "templates": "connect.templates",
    "marketplaces": "connect.marketplaces",
    "hubs": "connect.hubs",
    "tier_accounts": "connect.tier_accounts",
    "assets": "connect.assets",
    "requests": "connect.requests",
    "tier_configs": "connect.tier_configs",
    "tier_config_requests": "connect.tier_config_requests",
    "conversations": "connect.conversations",
    "channel_products": "channel.products",
    "channel_offers": "channel.offers",
    "channel_customers": "channel.customers",
    "channel_partner_links": "channel.partner_links",
    "channel_entitlements": "channel.entitlements",
    "channel_entitlement_changes": "channel.entitlement_changes",
}

SYNC_TASK = "channelhub.sync.tasks.sync_stream_task"


def _rename(apps, renames: dict[str, str]) -> None:
    StreamState = apps.get_model("channelhub", "StreamState")
    SyncRun = apps.get_model("channelhub", "SyncRun")
    Schedule = apps.get_model("django_q", "Schedule")
    for old, new in renames.items():
        if StreamState.objects.filter(stream=old).exists():
            StreamState.objects.filter(stream=new).delete()
            StreamState.objects.filter(stream=old).update(stream=new)
        SyncRun.objects.filter(stream=old).update(stream=new)
        # Historical models send no pre_save to channelhub.taskguard; .update() sends none anyway.
        if Schedule.objects.filter(name=f"sync:{old}", func=SYNC_TASK).exists():
            Schedule.objects.filter(name=f"sync:{new}").delete()
            Schedule.objects.filter(name=f"sync:{old}", func=SYNC_TASK).update(
                name=f"sync:{new}", args=repr(new)
            )


def forwards(apps, schema_editor):
    _rename(apps, RENAMES)


def backwards(apps, schema_editor):
    _rename(apps, {new: old for old, new in RENAMES.items()})


class Migration(migrations.Migration):
    dependencies = [
        ("channelhub", "0009_sync_run_model_counts"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
