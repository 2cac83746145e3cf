"""Schemas the django-tenants way (issue 16): the real django-tenants package,
its backend, router and the shared/tenant split of ``SHARED_APPS`` and
``TENANT_APPS`` (the project in ``tests/tenants_project``).

The oracle is django-tenants' own ``migrate_schemas --shared`` and
``--tenant``. Everything runs in subprocesses (``manage.py`` with the
project's settings), on databases of their own next to the test database.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys

import pytest
from django.db import connection

from tests.conftest import PROJECT, database_url

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="django-tenants: PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]
pytest.importorskip("django_tenants")


@pytest.fixture
def tenants_database():
    """A new empty database, and a function that runs ``manage.py`` of the
    tenants project on it."""
    name = f"{connection.settings_dict['NAME']}_tenants"
    url = database_url().rsplit("/", 1)[0] + f"/{name}"
    _recreate(name)

    def manage(
        *args: str, change: bool = False, types: bool = False
    ) -> subprocess.CompletedProcess:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.tenants_project.settings",
            "TENANTS_DATABASE_URL": url,
            "SHOP_CHANGE": "1" if change else "0",
            "TENANT_TYPES_MODE": "1" if types else "0",
        }
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=PROJECT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            stdin=subprocess.DEVNULL,
        )

    yield manage
    _drop(name)


@pytest.fixture
def typed_tenants(tenants_database):
    """``tenants_database`` with django-tenants' multi-type tenants on."""
    return functools.partial(tenants_database, types=True)


def _recreate(name: str) -> None:
    _drop(name)
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')


def _drop(name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def shell(manage, code: str, **kwargs) -> str:
    done = manage("shell", "-c", code, **kwargs)
    assert done.returncode == 0, done.stderr
    return done.stdout


def schemas(manage) -> dict:
    """Each schema's tables and recorded migrations (tenants_project/read.py)."""
    output = shell(manage, "from tests.tenants_project.read import dump; dump()")
    return json.loads([line for line in output.splitlines() if line.startswith("{")][-1])


def make_schemas(manage, *names: str) -> None:
    statements = "; ".join(f"c.execute('CREATE SCHEMA {name}')" for name in names)
    shell(manage, f"from django.db import connection as k\nwith k.cursor() as c: {statements}")


def built_by_migrate_schemas(manage) -> None:
    """public and the tenants t1 and t2 as django-tenants builds them."""
    assert manage("migrate_schemas", "--shared", "-v", "0").returncode == 0
    make_schemas(manage, "t1", "t2")
    # migrate_schemas --tenant migrates the schemas of the tenants it has.
    shell(
        manage,
        "from tests.tenants_project.customers.models import Client\n"
        "for name in ('t1', 't2'): Client(schema_name=name, name=name).save()",
    )
    assert manage("migrate_schemas", "--tenant", "-v", "0").returncode == 0


def test_autoupdate_builds_shared_and_tenant_apps_as_migrate_schemas_does(tenants_database):
    manage = tenants_database
    built_by_migrate_schemas(manage)
    by_migrate_schemas = schemas(manage)
    # Where a django-tenants user starts: every schema built by migrate_schemas.
    in_sync = manage("autoupdate", "--all-schemas", "*", "--check")
    assert in_sync.returncode == 0, in_sync.stdout + in_sync.stderr
    assert "  t2: matches the models." in in_sync.stdout.split("Summary:")[1]
    _recreate(connection.settings_dict["NAME"] + "_tenants")
    make_schemas(manage, "t1", "t2")

    done = manage("autoupdate", "--all-schemas", "*", "--noinput")

    assert done.returncode == 0, done.stderr
    ours = schemas(manage)
    assert set(ours) == set(by_migrate_schemas) == {"public", "t1", "t2"}
    for schema, expected in by_migrate_schemas.items():
        assert ours[schema]["tables"] == expected["tables"], schema
        # migrate_schemas records every app's migrations in every schema, also
        # those its router keeps out of it; autoupdate records those it built.
        assert set(map(tuple, ours[schema]["migrations"])) <= set(
            map(tuple, expected["migrations"])
        )
    assert "shop_product" in ours["t1"]["tables"] and "shop_product" not in ours["public"]["tables"]
    assert "customers_client" in ours["public"]["tables"]
    assert "customers_client" not in ours["t1"]["tables"]
    summary = done.stdout.split("Summary:")[1]
    assert "  public: " in summary and "  t2: " in summary


def test_a_model_change_reaches_every_tenant_and_keeps_rows(tenants_database):
    manage = tenants_database
    built_by_migrate_schemas(manage)
    shell(
        manage,
        "from django.db import connection\n"
        "from tests.tenants_project.shop.models import Category, Product\n"
        "connection.set_schema('t1')\n"
        "Product.objects.create(category=Category.objects.create(name='c'), title='kept',"
        " price=3)",
    )

    done = manage("autoupdate", "--all-schemas", "t*", "--noinput", change=True)

    assert done.returncode == 0, done.stderr
    ours = schemas(manage)
    assert "sku" in ours["t1"]["tables"]["shop_product"]["columns"]
    assert "sku" in ours["t2"]["tables"]["shop_product"]["columns"]
    kept = shell(
        manage,
        "from django.db import connection\n"
        "from tests.tenants_project.shop.models import Product\n"
        "connection.set_schema('t1')\n"
        "print(list(Product.objects.values_list('title', 'sku')))",
        change=True,
    )
    assert "[('kept', None)]" in kept
    check = manage("autoupdate", "--all-schemas", "*", "--check", change=True)
    assert check.returncode == 0, check.stdout + check.stderr


TYPED_TENANTS = (
    "from tests.tenants_project.customers.models import Client\n"
    "Client(schema_name='t_shop', name='s', type='shop').save()\n"
    "Client(schema_name='t_plain', name='p', type='plain').save()"
)


def test_multi_type_tenants_get_the_apps_of_their_type_as_migrate_schemas_gives_them(
    typed_tenants,
):
    manage = typed_tenants
    assert manage("migrate_schemas", "--shared", "-v", "0").returncode == 0
    make_schemas(manage, "t_shop", "t_plain")
    shell(manage, TYPED_TENANTS)
    assert manage("migrate_schemas", "--tenant", "-v", "0").returncode == 0
    by_migrate_schemas = schemas(manage)
    in_sync = manage("autoupdate", "--all-schemas", "*", "--check")
    assert in_sync.returncode == 0, in_sync.stdout + in_sync.stderr
    _recreate(connection.settings_dict["NAME"] + "_tenants")

    # The tenants' rows say their types: public first, as django-tenants has it.
    shared = manage("autoupdate", "--schema", "public", "--noinput")
    assert shared.returncode == 0, shared.stderr
    make_schemas(manage, "t_shop", "t_plain")
    shell(manage, TYPED_TENANTS)
    done = manage("autoupdate", "--all-schemas", "t_*", "--noinput")

    assert done.returncode == 0, done.stderr
    ours = schemas(manage)
    for schema, expected in by_migrate_schemas.items():
        assert ours[schema]["tables"] == expected["tables"], schema
    assert "shop_product" in ours["t_shop"]["tables"]
    assert "shop_product" not in ours["t_plain"]["tables"]
    assert "auth_permission" in ours["t_plain"]["tables"]


def test_with_multi_type_tenants_a_schema_no_tenant_has_is_one_line(typed_tenants):
    manage = typed_tenants
    assert manage("autoupdate", "--schema", "public", "--noinput", "-v", "0").returncode == 0
    make_schemas(manage, "t_orphan")

    done = manage("autoupdate", "--schema", "t_orphan", "--noinput")

    assert done.returncode == 1
    assert "Schema 't_orphan' is no tenant's: no customers.Client row" in done.stderr
    assert "Traceback" not in done.stderr
    assert schemas(manage)["t_orphan"]["tables"] == {}
