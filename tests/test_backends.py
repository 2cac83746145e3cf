"""automigrate_cmd.backends: one backend per connection.vendor, picked by a
registry; an unsupported vendor gets one clear line, not a KeyError."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.db import connection

from automigrate_cmd import backends
from automigrate_cmd.backends import SUPPORTED, backend_for
from automigrate_cmd.backends.base import Backend
from automigrate_cmd.exceptions import AutomigrateError, UnsupportedBackend
from automigrate_cmd.locking import schema_lock
from automigrate_cmd.scratch import desired_schema
from automigrate_cmd.snapshot import inspect_schema

PACKAGE = Path(backends.__file__).resolve().parent.parent
# Modules whose vendor-specific code now lives in backends/ (issue 15).
VENDOR_FREE = ["snapshot.py", "scratch.py", "locking.py"]


class Elsewhere:
    """A connection of a vendor no backend serves."""

    vendor = "oracle"
    alias = "legacy"


def test_the_backend_serves_the_connections_vendor():
    backend = backend_for(connection)
    assert isinstance(backend, Backend)
    assert backend.vendor == connection.vendor
    assert backend_for(connection) is backend


def test_an_unsupported_vendor_is_named_in_one_line():
    with pytest.raises(UnsupportedBackend) as raised:
        backend_for(Elsewhere())
    message = str(raised.value)
    assert isinstance(raised.value, AutomigrateError)
    assert "\n" not in message
    assert "'oracle'" in message and "'legacy'" in message
    assert all(vendor in message for vendor in SUPPORTED)


def test_the_entry_points_refuse_an_unsupported_vendor_the_same_way():
    with pytest.raises(UnsupportedBackend):
        inspect_schema(Elsewhere())
    with pytest.raises(UnsupportedBackend):
        desired_schema(Elsewhere(), [])


def test_an_unsupported_vendor_still_runs_unlocked():
    with schema_lock(Elsewhere()):
        pass


@pytest.mark.parametrize("name", VENDOR_FREE)
def test_the_shared_modules_do_not_ask_the_vendor(name):
    assert ".vendor" not in (PACKAGE / name).read_text()


def test_backend_modules_stay_small():
    """No module over 500 lines, no function over 80 (issue 15)."""
    for path in sorted((PACKAGE / "backends").rglob("*.py")):
        source = path.read_text()
        assert source.count("\n") <= 500, path
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno - node.lineno < 80, f"{path}:{node.lineno} {node.name}"
