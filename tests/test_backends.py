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
# The two halves, each a subpackage the scans below must walk too.
HALVES = {"recreate", "sync"}


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
    assert _oversized(sorted((PACKAGE / "backends").rglob("*.py"))) == []


def test_no_module_of_the_package_is_over_500_lines_or_has_a_function_over_80():
    modules = sorted(PACKAGE.rglob("*.py"))
    assert len(modules) > 40  # the scan reads the package, not an empty folder
    assert _folders(modules) >= HALVES | {"backends", "management"}
    assert _oversized(modules) == []


def test_the_size_scan_finds_a_long_function(tmp_path):
    long_function = tmp_path / "long.py"
    long_function.write_text("def f():\n" + "    x = 1\n" * 80)
    assert _oversized([long_function]) == [f"{long_function}:1 f"]


def test_no_module_outside_backends_compares_the_vendor():
    """The core asks the backend; only backends/ tells the servers apart."""
    modules = [p for p in sorted(PACKAGE.rglob("*.py")) if "backends" not in p.parts]
    assert len(modules) > 30
    assert _folders(modules) >= HALVES
    found = [
        f"{path.relative_to(PACKAGE)}:{line}"
        for path in modules
        for line in _vendor_comparisons(path.read_text())
    ]
    assert found == []


def test_no_module_outside_backends_imports_a_backend_of_its_own_accord():
    """Only the registry picks a backend (and a backend imports the core, so
    the core importing one would be a cycle)."""
    modules = [p for p in sorted(PACKAGE.rglob("*.py")) if "backends" not in p.parts]
    assert _folders(modules) >= HALVES
    found = [
        f"{path.relative_to(PACKAGE)}:{node.lineno}"
        for path in modules
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom)
        and any(
            (node.module or "").removeprefix("automigrate_cmd.").startswith(f"backends.{vendor}")
            for vendor in SUPPORTED
        )
    ]
    assert found == []


@pytest.mark.parametrize(
    "source",
    [
        'if connection.vendor == "mysql": pass',
        'if "sqlite" != plan.vendor: pass',
        "if vendor == 'postgresql': pass",
        'if connection.vendor in ("mysql", "sqlite"): pass',
        "reader = READERS[connection.vendor]",
        "reader = READERS.get(connection.vendor, None)",
    ],
)
def test_the_vendor_scan_finds_a_comparison(source):
    assert _vendor_comparisons(source) == [1]


def test_the_vendor_scan_lets_a_message_name_the_vendor():
    assert _vendor_comparisons('message = f"on {connection.vendor}: no"') == []


def _folders(paths: list[Path]) -> set[str]:
    """The subpackages of the package that ``paths`` reach."""
    return {path.relative_to(PACKAGE).parts[0] for path in paths if path.parent != PACKAGE}


def _oversized(paths: list[Path]) -> list[str]:
    """Modules over 500 lines and functions over 80, as path[:line name]."""
    found = []
    for path in paths:
        source = path.read_text()
        if source.count("\n") > 500:
            found.append(str(path))
        for node in ast.walk(ast.parse(source)):
            is_function = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            if is_function and node.end_lineno - node.lineno + 1 > 80:
                found.append(f"{path}:{node.lineno} {node.name}")
    return found


def _is_vendor(node: ast.AST) -> bool:
    """``x.vendor``, a name ``vendor``, or a supported vendor's name."""
    return (
        (isinstance(node, ast.Attribute) and node.attr == "vendor")
        or (isinstance(node, ast.Name) and node.id == "vendor")
        or (isinstance(node, ast.Constant) and node.value in SUPPORTED)
    )


def _vendor_comparisons(source: str) -> list[int]:
    """The lines that compare a vendor, or pick by one (``d[x.vendor]``,
    ``d.get(x.vendor)``)."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            names = [e for o in operands if isinstance(o, ast.Tuple | ast.Set) for e in o.elts]
            if any(_is_vendor(o) for o in operands + names):
                lines.append(node.lineno)
        elif (
            isinstance(node, ast.Subscript)
            and _is_vendor(node.slice)
            or (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "get"
                and node.args
                and _is_vendor(node.args[0])
            )
        ):
            lines.append(node.lineno)
    return sorted(set(lines))
