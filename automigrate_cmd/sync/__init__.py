"""autoupdate's half: what syncs tables, keeping the rows.

``update.autoupdate`` inspects the live tables and the models' scratch build,
``diff`` turns the two into steps, the modules around it refine the plan
(what no version of the models declared, removed and recreated tables, name
clashes, link tables, primary keys, hints from ``--rename``/``--default`` and
from unapplied migrations), ``risks`` measures what each step would do to the
rows, and ``apply`` runs the steps through the schema editor (each backend's
own where its server differs, ``backends/<vendor>/steps.py``).

What both commands share (the selection, the catalog, the snapshot, the
scratch build, the schema editor helpers, the history bookkeeping) is in the
core, one level up.
"""
