"""A column's type change has one outcome on every backend (issue 13, item 5):
a shorter string cuts the longer values (announced with their count, refused
unless accepted); a value the new type cannot hold refuses the run before
anything runs, even with --accept-data-loss; a value that converts is not
counted; a value that converts into another one (290.75 -> 291) is announced.
"""

from __future__ import annotations

import pytest
from django.apps.registry import Apps
from django.db import connection, models

from automigrate_cmd import Refused, UserCodeFailed, automigrate, autoupdate, check
from automigrate_cmd.snapshot import diff_schemas, inspect_schema
from tests.test_autoupdate import TABLES, alter, seed
from tests.test_safety import raw_values
from todolist.models import Todo, TodoList

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def rebuild_todolist_afterwards():
    yield
    automigrate("todolist")


def set_raw(table: str, column: str, values: list) -> None:
    """Give the rows of ``table`` (by id order) these values, as stored."""
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {table} ORDER BY id")
        ids = [row[0] for row in cursor.fetchall()]
        for id_, value in zip(ids, values, strict=True):
            cursor.execute(f"UPDATE {table} SET {qn(column)} = %s WHERE id = %s", [value, id_])


def live_schema() -> dict:
    return inspect_schema(connection, TABLES)


def test_a_shorter_string_cuts_the_longer_values_on_every_backend():
    """The model says max_length=200; the live column is wider and holds a
    value of 250 characters."""
    seed()
    alter(Todo, "title", models.CharField(max_length=300))
    set_raw("todolist_todo", "title", ["x" * 250, "short"])
    before = live_schema()

    with pytest.raises(Refused, match=r"1 row holds longer values, which would be cut to 200"):
        autoupdate("todolist")
    assert diff_schemas(before, live_schema()) == []

    autoupdate("todolist", accept_data_loss=True)
    assert raw_values("todolist_todo", "title") == ["x" * 200, "short"]
    assert check("todolist").steps == []


def number_column_holding(values: list) -> None:
    """todolist_todolist.color (a string in the model) as an integer
    column in the model, the live column a string holding ``values``."""
    seed()
    set_raw("todolist_todolist", "color", values)


def todolist_with(name: str, color: models.Field, **fields) -> type[models.Model]:
    """TodoList as another model version with ``color`` as given (in a
    registry of its own, out of the project's): what the tests sync to."""
    options = {"apps": Apps(), "app_label": "todolist", "db_table": "todolist_todolist"}
    meta = type("Meta", (), {**options, **fields.pop("meta", {})})
    attributes = {"__module__": __name__, "Meta": meta, "title": models.CharField(max_length=200)}
    return type(name, (models.Model,), {**attributes, "color": color, **fields})


IntegerColor = todolist_with("IntegerColor", models.IntegerField(null=True))


def test_values_that_do_not_convert_refuse_the_run_even_when_loss_is_accepted():
    """'abc' is no integer on any backend ('290.75' as text is none on
    PostgreSQL and MariaDB either; SQLite reads it as a number)."""
    number_column_holding(["123", "abc"])
    before = live_schema()

    with pytest.raises(Refused) as refused:
        autoupdate([IntegerColor], accept_data_loss=True)

    message = str(refused.value)
    assert "todolist_todolist.color: type" in message
    assert "1 value does not convert" in message and "abc" in message, message
    assert "123" not in message.split("does not convert")[1], message  # '123' converts
    assert diff_schemas(before, live_schema()) == []
    assert raw_values("todolist_todolist", "color") == ["123", "abc"]


def test_values_that_all_convert_need_no_consent():
    """'123' and '-4' are integers written as text: nothing to announce."""
    number_column_holding(["123", "-4"])

    result = autoupdate([IntegerColor])

    assert result.plan.losses == []
    assert sorted(raw_values("todolist_todolist", "color")) == [-4, 123]


def test_values_that_convert_into_other_values_are_announced():
    """A fraction into an integer: PostgreSQL and MariaDB round it."""
    if connection.vendor == "sqlite":
        pytest.skip("SQLite keeps a fraction in an integer column, as migrate does")
    number_column_holding(["290.75", "3"])
    alter(TodoList, "color", models.FloatField(null=True))

    with pytest.raises(Refused, match=r"todolist_todolist.color: type .*, 1 value would change"):
        autoupdate([IntegerColor])
    autoupdate([IntegerColor], accept_data_loss=True)

    assert sorted(raw_values("todolist_todolist", "color")) == [3, 291]


def test_a_type_the_database_cannot_convert_to_is_refused_up_front():
    """PostgreSQL has no cast from uuid to integer: ALTER ... TYPE would fail
    (on an empty table too)."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL refuses a cast it does not have")
    alter(TodoList, "color", models.UUIDField(null=True))
    before = live_schema()

    with pytest.raises(Refused, match=r"which the database cannot convert"):
        autoupdate([IntegerColor], accept_data_loss=True)
    assert diff_schemas(before, live_schema()) == []


# IntegerColor with a check that the live rows break.
NonNegativeColor = todolist_with(
    "NonNegativeColor",
    models.IntegerField(null=True),
    meta={
        "constraints": [
            models.CheckConstraint(condition=models.Q(color__gte=0), name="color_not_negative")
        ]
    },
)


def test_a_check_constraint_the_rows_break_is_counted_and_refused_up_front():
    number_column_holding(["5", "-1"])
    autoupdate([IntegerColor])  # the column is an integer now, without the check
    before = live_schema()

    with pytest.raises(Refused) as refused:
        autoupdate([NonNegativeColor], accept_data_loss=True)

    message = str(refused.value)
    assert "todolist_todolist: new check color_not_negative" in message, message
    assert "1 row breaks it" in message, message
    assert diff_schemas(before, live_schema()) == []

    set_raw("todolist_todolist", "color", [5, 0])
    autoupdate([NonNegativeColor])
    assert check([NonNegativeColor]).steps == []


# --- user code that fails (issue 12): one line naming the model and field --------


def no_owner_yet() -> int:
    raise LookupError("no owner row yet")


# A new NOT NULL column whose default queries what is not there.
WithOwner = todolist_with(
    "WithOwner",
    models.CharField(max_length=50, null=True),  # noqa: DJ001 (as TodoList has it)
    owner=models.IntegerField(default=no_owner_yet),
)


class BrokenType(models.IntegerField):
    def db_type(self, connection):
        raise RuntimeError("this field cannot say its type")


class WithBrokenField(models.Model):
    size = BrokenType()

    class Meta:
        apps = Apps()
        app_label = "todolist"
        db_table = "todolist_broken"


def test_a_default_that_fails_is_one_line_naming_the_field():
    seed()
    before = live_schema()

    with pytest.raises(UserCodeFailed) as failed:
        autoupdate([WithOwner], accept_data_loss=True)

    assert str(failed.value).startswith(
        "The default of todolist.WithOwner.owner failed: LookupError: no owner row yet."
    ), failed.value
    assert "\n" not in str(failed.value)
    assert diff_schemas(before, live_schema()) == []


def test_a_field_whose_type_fails_is_one_line_naming_the_field():
    with pytest.raises(UserCodeFailed) as failed:
        autoupdate([WithBrokenField])

    assert str(failed.value).startswith("Could not build todolist.WithBrokenField.size: "), (
        failed.value
    )
    assert "todolist_broken" not in connection.introspection.table_names()


JsonColor = todolist_with("JsonColor", models.JSONField(null=True))


def test_text_that_is_not_json_does_not_convert_into_a_json_field():
    """Found by the evolution judge on MariaDB (uuid -> JSONField): there a
    JSON column is longtext plus a CHECK, which failed part-way."""
    number_column_holding(['{"a": 1}', "abc"])
    before = live_schema()

    with pytest.raises(Refused, match=r"color: type .*, 1 value does not convert"):
        autoupdate([JsonColor], accept_data_loss=True)
    assert diff_schemas(before, live_schema()) == []


OneCharColor = todolist_with(
    "OneCharColor",
    models.CharField(max_length=1, null=True),  # noqa: DJ001 (as TodoList has it)
)


def test_json_into_a_one_character_string_is_cut_on_every_backend():
    """Found by the 1,000-example SQLite run: the cut ran before the type
    change, against the JSON column's json_valid CHECK ('[' is no JSON)."""
    number_column_holding(["[]", '{"a": 1}'])
    autoupdate([JsonColor])  # the values are JSON: color is a JSON column now

    with pytest.raises(Refused):
        autoupdate([OneCharColor])
    autoupdate([OneCharColor], accept_data_loss=True)

    assert raw_values("todolist_todolist", "color") == ["[", "{"]
    assert check([OneCharColor]).steps == []


# A nullable unsigned integer (MariaDB writes its CHECK inline on the column),
# then a required plain integer with a default.
PositiveColor = todolist_with("PositiveColor", models.PositiveIntegerField(null=True))
RequiredIntegerColor = todolist_with("RequiredIntegerColor", models.IntegerField(default=7))


def test_a_nullable_positive_integer_made_a_required_integer_fills_its_nulls_first():
    """Found by the restructuring's MariaDB run: dropping the column's inline
    CHECK redefined the column NOT NULL before its NULLs were filled, and
    strict mode failed with (1265, 'Data truncated')."""
    number_column_holding([None, None])
    autoupdate([PositiveColor], accept_data_loss=True)
    set_raw("todolist_todolist", "color", [5, None])

    autoupdate([RequiredIntegerColor])

    assert raw_values("todolist_todolist", "color") == [5, 7]
    assert check([RequiredIntegerColor]).steps == []


RequiredCharColor = todolist_with("RequiredCharColor", models.CharField(max_length=5, default="x"))


def test_a_type_change_and_not_null_over_nulls_fills_after_the_type_changes():
    """An integer column with NULLs becomes a required string with a default:
    migrate changes the type, then fills the NULLs with the new type's
    default."""
    number_column_holding([None, None])
    autoupdate([IntegerColor], accept_data_loss=True)
    set_raw("todolist_todolist", "color", [12, None])

    autoupdate([RequiredCharColor])

    assert raw_values("todolist_todolist", "color") == ["12", "x"]
    assert check([RequiredCharColor]).steps == []


def test_json_with_nulls_made_a_required_string_fills_after_the_type_changes():
    number_column_holding(["[1]", None])
    autoupdate([JsonColor])

    autoupdate([RequiredCharColor], accept_data_loss=True)

    assert raw_values("todolist_todolist", "color") == ["[1]", "x"]
    assert check([RequiredCharColor]).steps == []
