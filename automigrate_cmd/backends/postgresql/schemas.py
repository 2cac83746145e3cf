"""PostgreSQL: the schemas of one database, and a connection pointed at one.

A run in schema ``s`` (``--schema s``) puts ``s`` first on the connection's
``search_path``, followed by the path it had (``public``, usually), as
django-tenants does: unqualified names then create and find ``s``'s tables,
while types, functions and shared tables in ``public`` still resolve. What
lists the tables of "the database" must then list only ``s``'s: our own
catalog reads already keep to ``current_schema()``; Django's introspection,
which lists every table the path makes visible, is given a
``get_table_list`` that keeps to it too (``django_migrations`` in ``public``
must not pass for the schema's). The path is set again on every new session
of the connection (a receiver of ``connection_created``), so a reconnect in
the middle of a run cannot silently point it back at ``public``.

With django-tenants' backend the connection already knows how: its
``set_schema()`` sets the path before each query, its introspection keeps to
the schema, and its router picks the shared or the tenant apps by it (with
multi-type tenants, the apps of the tenant's type, read from its row).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.postgresql.introspection import TableInfo
from django.db.backends.signals import connection_created

from ...exceptions import AutomigrateError
from .catalog import CURRENT_RELATIONS

# The schema each alias is pointed at, in the thread that runs in it
# (Django's connections are per thread, and so is this).
_pointed = threading.local()

SCHEMA_NAMES_SQL = """
    SELECT nspname FROM pg_namespace
    WHERE nspname !~ '^pg_' AND nspname <> 'information_schema'
    ORDER BY nspname
"""


def schema_names(connection: BaseDatabaseWrapper) -> list[str]:
    """The database's own schemas, the system's left out."""
    with connection.cursor() as cursor:
        cursor.execute(SCHEMA_NAMES_SQL)
        return [name for (name,) in cursor.fetchall()]


def is_tenants_connection(connection: BaseDatabaseWrapper) -> bool:
    """django-tenants' backend (``django_tenants.postgresql_backend``)."""
    return hasattr(connection, "set_schema") and hasattr(connection, "schema_name")


@contextmanager
def use_schema(connection: BaseDatabaseWrapper, schema: str) -> Iterator[None]:
    """``connection`` pointed at ``schema`` for the body, then back."""
    if is_tenants_connection(connection):
        with _tenants_schema(connection, schema):
            yield
        return
    pointed = _pointed_schemas()
    if connection.alias in pointed:
        raise RuntimeError(f"database '{connection.alias}' is already pointed at a schema")
    introspection = connection.introspection
    before = search_path(connection) if connection.connection is not None else None
    pointed[connection.alias] = schema
    connection.introspection = _in_schema_introspection(introspection)
    try:
        if before is not None:
            _point(connection, schema)
        yield
    finally:
        del pointed[connection.alias]
        connection.introspection = introspection
        if connection.connection is not None and connection.is_usable():
            with connection.cursor() as cursor:
                # The path it had, or (opened in the body) the session's own.
                cursor.execute(f"SET search_path TO {before}" if before else "RESET search_path")


@contextmanager
def _tenants_schema(connection, schema: str) -> Iterator[None]:
    tenant, include_public = connection.tenant, connection.include_public_schema
    introspection = connection.introspection
    connection.set_schema(schema, tenant_type=_tenant_type(connection, schema))
    connection._handle_search_path = _once_per_session(connection._handle_search_path, connection)
    # Its table list sets the path to the schema alone around Django's query
    # (three more queries, and one that reads every schema's tables).
    connection.introspection = _in_schema_introspection(introspection)
    try:
        yield
    finally:
        del connection._handle_search_path  # the class's own again
        connection.introspection = introspection
        connection.set_tenant(tenant, include_public)  # it empties the content types' cache


def _tenant_type(connection, schema: str) -> str | None:
    """With django-tenants' multi-type tenants (``HAS_MULTI_TYPE_TENANTS``),
    the type of the tenant whose schema ``schema`` is: its router picks the
    apps of that type (``TENANT_TYPES``), as ``migrate_schemas`` has it.
    None otherwise, and for the public schema (the router knows it by name)."""
    from django_tenants.utils import (
        get_multi_type_database_field_name,
        get_public_schema_name,
        get_tenant_model,
        has_multi_type_tenants,
    )

    if not has_multi_type_tenants() or schema == get_public_schema_name():
        return None
    model = get_tenant_model()
    field = get_multi_type_database_field_name()
    found = model.objects.using(connection.alias).filter(schema_name=schema)
    types = list(found.values_list(field, flat=True)[:1])
    if not types:
        raise AutomigrateError(
            f"Schema '{schema}' is no tenant's: no {model._meta.label} row has it as its "
            f"schema_name, and with multi-type tenants (HAS_MULTI_TYPE_TENANTS) the tenant's "
            f"{field} says which apps its schema holds. Create the tenant first, or leave the "
            "schema out. Nothing was changed."
        )
    return types[0]


def _once_per_session(handle_search_path, connection):
    """django-tenants' ``_handle_search_path`` as its TENANT_LIMIT_SET_CALLS
    has it: the path is set once, not before every query (a third of a run's
    queries otherwise). It forgets the path it set whenever the session may
    have lost it (a rollback, a close, another set_schema), so it is set
    again then."""

    def handle(cursor=None):
        if not connection.search_path_set_schemas:
            handle_search_path(cursor)

    return handle


def scratch_wrapper_class(wrapper_class: type) -> type:
    """The class a scratch connection beside a ``wrapper_class`` connection
    is made of: django-tenants' sets its own ``search_path`` before each
    query, which would undo the scratch's ``pg_temp``; its original backend
    does not."""
    import sys

    module = sys.modules.get(wrapper_class.__module__)
    original = getattr(module, "original_backend", None)
    if original is not None and hasattr(wrapper_class, "set_schema"):
        return original.DatabaseWrapper
    return wrapper_class


def _pointed_schemas() -> dict[str, str]:
    if not hasattr(_pointed, "schemas"):
        _pointed.schemas = {}
    return _pointed.schemas


def search_path(connection: BaseDatabaseWrapper) -> str:
    """The session's ``search_path``, as the server spells it."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW search_path")
        return cursor.fetchone()[0]


def _point(connection: BaseDatabaseWrapper, schema: str) -> None:
    """The schema put in front of the session's path (the server's, the
    role's or the database's, or what the project's own settings made it)."""
    path = search_path(connection)
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SET search_path TO {qn(schema)}, {path}"
            if path.strip()
            else f"SET search_path TO {qn(schema)}"
        )


def _point_new_session(sender, connection: BaseDatabaseWrapper, **kwargs) -> None:
    schema = _pointed_schemas().get(connection.alias)
    if schema is not None and connection.vendor == "postgresql":
        _point(connection, schema)


connection_created.connect(_point_new_session, dispatch_uid="automigrate_cmd.schemas")


def _in_schema_introspection(introspection):
    """``introspection`` whose table list keeps to ``current_schema()`` (the
    query of Django's own, with that condition for its visibility one: by
    pg_depend, which does not read every schema's relations)."""

    class InSchema(type(introspection)):
        def get_table_list(self, cursor):
            cursor.execute(
                f"""
                SELECT c.relname,
                       CASE WHEN c.relispartition THEN 'p'
                            WHEN c.relkind IN ('m', 'v') THEN 'v' ELSE 't' END,
                       obj_description(c.oid, 'pg_class')
                FROM pg_catalog.pg_class c
                WHERE c.relkind IN ('f', 'm', 'p', 'r', 'v')
                  AND c.oid = ANY({CURRENT_RELATIONS})
                """
            )
            return [TableInfo(*row) for row in cursor.fetchall()]

    return InSchema(introspection.connection)
