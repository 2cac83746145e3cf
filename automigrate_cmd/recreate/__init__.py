"""automigrate's half: what recreates tables.

``automigrate`` drops the selected models' tables and creates them again as
``migrate`` would, restoring the foreign keys that point into them from
outside. ``plan`` works out what a run will drop, create and empty, with the
row counts, reading only the catalog; ``apply`` runs that plan through the
schema editor (each backend's work around it, ``backends/<vendor>/``).

The entry point is ``api.automigrate``. What both commands share (the
selection, the catalog, the schema editor helpers, the history bookkeeping
after the DDL) is in the core, one level up.
"""
