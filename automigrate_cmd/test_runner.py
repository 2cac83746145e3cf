"""A Django test runner that builds the test databases with automigrate.

``TEST_RUNNER = "automigrate_cmd.test_runner.AutomigrateRunner"``; with
``--keepdb`` the kept database is brought up to date with autoupdate.
"""

from __future__ import annotations

from typing import Any

from django.test.runner import DiscoverRunner
from django.test.utils import iter_test_cases

from .testing import automigrated_test_databases, find_test_only_models


class AutomigrateRunner(DiscoverRunner):
    test_modules: frozenset[str] = frozenset()

    def build_suite(self, *args: Any, **kwargs: Any):
        suite = super().build_suite(*args, **kwargs)
        # Models defined in these modules are test-only: no table in the test database.
        self.test_modules = frozenset(type(test).__module__ for test in iter_test_cases(suite))
        return suite

    def setup_databases(self, **kwargs: Any):
        with automigrated_test_databases(find_test_only_models(self.test_modules)):
            return super().setup_databases(**kwargs)
