"""What each schema of the tenants project's database holds, as JSON on
standard output: its tables (automigrate_cmd's snapshot, its own bookkeeping
table left out) and the migrations recorded there. Run by the tests with
``manage.py shell -c``."""

import json

from django.db import connection

from automigrate_cmd.backends import backend_for
from automigrate_cmd.snapshot import inspect_schema
from tests.conftest import model_schema


def dump() -> None:
    found = {}
    for schema in backend_for(connection).schema_names(connection):
        connection.set_schema(schema)
        tables = model_schema(inspect_schema(connection))
        migrations = []
        if "django_migrations" in tables:
            with connection.cursor() as cursor:
                cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
                migrations = [list(row) for row in cursor.fetchall()]
        found[schema] = {"tables": tables, "migrations": migrations}
    connection.set_schema_to_public()
    print(json.dumps(found))
