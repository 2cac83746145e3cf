"""The todolist app outside its views: migration, admin pages, __str__."""

import pytest
from django.apps import apps
from django.db.migrations.autodetector import MigrationAutodetector
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.state import ProjectState
from django.test import Client

from todolist.models import Todo, TodoList, TodoListImage


def test_migration_matches_the_models() -> None:
    """0001_initial must be regenerated whenever the models change.

    What ``makemigrations --check todolist`` does, minus its database
    consistency check, so no database is needed.
    """
    loader = MigrationLoader(None, ignore_no_migrations=True)
    autodetector = MigrationAutodetector(loader.project_state(), ProjectState.from_apps(apps))
    changes = autodetector.changes(graph=loader.graph, trim_to_apps={"todolist"})
    assert changes.get("todolist", []) == []


def test_str() -> None:
    todo_list = TodoList(title="Groceries")
    assert str(todo_list) == "Groceries"
    assert str(Todo(title="Milk")) == "Milk"
    assert str(TodoListImage(todo_list=todo_list, value="a.png")) == "Image of Groceries"


@pytest.mark.django_db
@pytest.mark.parametrize("model", ["todolist", "todo", "todolistimage"])
def test_admin_pages_render(admin_client: Client, model: str) -> None:
    todo_list = TodoList.objects.create(title="Groceries", color="green")
    todo = Todo.objects.create(title="Milk", tag=["food"], todo_list=todo_list)
    image = TodoListImage.objects.create(todo_list=todo_list, value="milk.png")
    pk = {"todolist": todo_list.pk, "todo": todo.pk, "todolistimage": image.pk}[model]

    for url in (
        f"/admin/todolist/{model}/",
        f"/admin/todolist/{model}/add/",
        f"/admin/todolist/{model}/{pk}/change/",
    ):
        response = admin_client.get(url)
        assert response.status_code == 200, url


@pytest.mark.django_db
def test_admin_todo_list_page_shows_its_todos_inline(admin_client: Client) -> None:
    todo_list = TodoList.objects.create(title="Groceries")
    Todo.objects.create(title="Milk", todo_list=todo_list)
    response = admin_client.get(f"/admin/todolist/todolist/{todo_list.pk}/change/")
    assert b'value="Milk"' in response.content
