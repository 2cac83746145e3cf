"""Labels -> models: every form a user may type, and every refusal.

Each refusal is checked through the command: its message, that it raises
CommandError (exit code 1 from the shell), and that no table was touched.
"""

import pytest
from django.core.management import CommandError, call_command

from automigrate_cmd import LabelError
from automigrate_cmd.selection import select_models
from tests.conftest import row_count
from todolist.models import TodoList, TodoListImage


def labels_of(models):
    return [m._meta.label for m in models]


@pytest.mark.parametrize(
    "label, expected",
    [
        ("Todo", ["todolist.Todo"]),
        ("todo", ["todolist.Todo"]),
        ("TODOLIST.todo", ["todolist.Todo"]),
        ("todolist.Todo", ["todolist.Todo"]),
        # An exact app label is the app; the same word in model case is the model.
        ("todolist", ["todolist.TodoList", "todolist.Todo", "todolist.TodoListImage"]),
        ("TodoList", ["todolist.TodoList"]),
        ("otherapp.Item", ["otherapp.Item"]),
    ],
)
def test_label_forms(label, expected):
    assert labels_of(select_models(label, "default")) == expected


def test_model_classes_and_lists_in_dependency_order():
    chosen = select_models([TodoListImage, "Todo", TodoList], "default")
    assert labels_of(chosen) == ["todolist.TodoList", "todolist.Todo", "todolist.TodoListImage"]


def test_no_label_selects_every_model_with_a_table_here():
    chosen = set(labels_of(select_models(None, "default")))
    assert {"todolist.Todo", "auth.User", "contenttypes.ContentType"} <= chosen
    never = {"otherapp.ItemProxy", "otherapp.Legacy", "otherapp.Gadget", "otherapp.OtherOnly"}
    assert not chosen & never
    assert "otherapp.OtherOnly" in labels_of(select_models(None, "other"))


def test_whole_app_skips_models_without_a_table_here():
    chosen = labels_of(select_models("otherapp", "default"))
    assert sorted(chosen) == ["otherapp.Attachment", "otherapp.CustomGadget", "otherapp.Item"]


REFUSALS = [
    (["Tdo"], "Unknown model or app label 'Tdo'. Did you mean: todolist.Todo?"),
    (["todolist.Tdo"], "Unknown model or app label 'todolist.Tdo'. Did you mean: todolist.Todo"),
    (["Todo", "zzzqqq"], "Unknown model or app label 'zzzqqq': no installed app or model"),
    (["Item"], "Model name 'Item' is ambiguous: it matches otherapp.Item and twinapp.Item"),
    (["otherapp.ItemProxy"], "otherapp.ItemProxy is a proxy model and has no table of its own"),
    (["Legacy"], "otherapp.Legacy is unmanaged (Meta.managed = False)"),
    (["Gadget"], "otherapp.Gadget is swapped for otherapp.CustomGadget"),
    (["OtherOnly"], "otherapp.OtherOnly is kept off database 'default' by the database routers"),
    (["automigrate_cmd"], "App 'automigrate_cmd' has no models with a table on database"),
]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("labels, message", REFUSALS)
def test_bad_labels_are_refused_and_change_nothing(labels, message):
    TodoList.objects.create(title="kept")
    with pytest.raises(CommandError) as refused:
        call_command("automigrate", *labels, "--noinput", verbosity=0)
    assert message in str(refused.value)
    assert row_count("todolist_todolist") == 1


def test_api_raises_label_error():
    with pytest.raises(LabelError, match="ambiguous"):
        select_models(["Item"], "default")


@pytest.mark.django_db(transaction=True)
def test_bad_label_from_the_shell_exits_1_without_traceback(run_manage):
    TodoList.objects.create(title="kept")
    result = run_manage("automigrate", "Tdo", "--noinput")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "CommandError: Unknown model or app label 'Tdo'. Did you mean: todolist.Todo?"
    )
    assert "Traceback" not in result.stderr
    assert row_count("todolist_todolist") == 1
