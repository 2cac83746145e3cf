"""Time a ``manage.py`` command in-process: its own part, after ``django.setup()``.

    DATABASE_URL=... python benchmarks/inprocess.py autoupdate --noinput

Run from the project directory. Loads the settings and the apps
(``django.setup()``: what every command pays before it starts), then times
``call_command`` of the command alone and prints ``{"inner_seconds": ...}`` as
the last line of stdout, after the command's own output. ``call_command``
skips the system checks (the ``check`` row measures them), as the *net*
figures of whole processes leave them out; everything else the command does
is in the time: connecting, reading the catalog, the DDL, ``post_migrate``
(content types, permissions), recording migrations, storing the desired
tables.
"""

from __future__ import annotations

import json
import os
import sys
import time


def main() -> None:
    sys.path.insert(0, os.getcwd())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchproject.settings")
    import django
    from django.core.management import call_command

    django.setup()
    start = time.perf_counter()
    call_command(*sys.argv[1:])
    inner = time.perf_counter() - start
    sys.stdout.flush()
    print("\n" + json.dumps({"inner_seconds": inner}))


if __name__ == "__main__":
    main()
