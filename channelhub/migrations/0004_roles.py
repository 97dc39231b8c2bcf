"""Create the staff roles (groups) with their permissions. See channelhub/roles.py."""

from django.db import migrations


def forwards(apps, schema_editor):
    from channelhub.roles import ensure_roles

    ensure_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("channelhub", "0003_run_sync_permission"),
        ("fulfillment", "0002_migration_flag_and_act_permissions"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
