from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    # The shared cache's table (settings.CACHES["shared"]): `createcachetable` is idempotent.
    call_command("createcachetable", "ptclinic_cache", database=schema_editor.connection.alias)


def drop_cache_table(apps, schema_editor):
    schema_editor.execute(
        f"DROP TABLE IF EXISTS {schema_editor.connection.ops.quote_name('ptclinic_cache')}"
    )


class Migration(migrations.Migration):
    dependencies = [("ptclinic", "0004_jobs")]

    operations = [migrations.RunPython(create_cache_table, drop_cache_table)]
