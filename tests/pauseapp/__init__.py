"""A test-only app whose ``pre_migrate`` receiver holds a run still (see apps.py)."""
