"""On PostgreSQL, compare the rollups' text keys byte by byte (collation "C").

They are codes (region, item, bundle, channel, flow, state), never shown sorted to people.
Under the database's locale (C.UTF-8 here) PostgreSQL sorts them with strcoll and without
abbreviated keys, which made every index build and GROUP BY of a rebuild several times
slower at ten million cases (docs/performance.md). SQLite already compares bytes. Django does
not track this (no `db_collation`: SQLite has no "C" collation), so a later AlterField of one
of these columns must repeat it.
"""

from django.db import migrations

COLUMNS = ("region_id", "item_code", "bundle_code", "channel", "flow", "state", "plan_code")


def binary_keys(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT table_name, column_name, character_maximum_length
            FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name LIKE 'stats\\_%%'
              AND data_type = 'character varying' AND column_name = ANY(%s)
            ORDER BY table_name, column_name
            """,
            [list(COLUMNS)],
        )
        for table, column, length in cursor.fetchall():
            cursor.execute(
                f'ALTER TABLE {table} ALTER COLUMN {column} TYPE varchar({length}) COLLATE "C"'
            )


class Migration(migrations.Migration):
    dependencies = [("stats", "0005_drop_department_day")]

    operations = [migrations.RunPython(binary_keys, migrations.RunPython.noop)]
