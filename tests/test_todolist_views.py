"""The JSON endpoints of the todolist example app.

Each test checks the response (status and JSON body) and then the rows a user
would expect in the database. IDs are never hard-coded: on PostgreSQL and
MariaDB sequences keep counting across the rolled-back tests.
"""

import json
from typing import Any

import pytest
from django.test import Client

from todolist.models import Todo, TodoList, TodoListImage

pytestmark = pytest.mark.django_db

MISSING_ID = 999_999
TODO_FIELDS = {
    "title",
    "desc",
    "is_complete",
    "remind_at_address",
    "remind_at_geo",
    "tag",
    "todo_list_id",
}


def send(client: Client, method: str, url: str, body: Any = None, *, raw: str | None = None):
    """Call ``url`` with ``body`` encoded as JSON (or the ``raw`` text as is)."""
    data = raw if raw is not None else ("" if body is None else json.dumps(body))
    return client.generic(method, url, data, content_type="application/json")


def todo_json(todo: Todo) -> dict[str, Any]:
    """What the API should answer for ``todo`` as it is in the database."""
    todo.refresh_from_db()
    return {"id": todo.pk, **{name: getattr(todo, name) for name in TODO_FIELDS}}


def validation_failed(errors: dict[str, list[str]]) -> dict[str, Any]:
    return {"error": "Validation failed.", "errors": errors}


@pytest.fixture
def todo_list() -> TodoList:
    return TodoList.objects.create(title="Groceries", color="green")


@pytest.fixture
def todo(todo_list: TodoList) -> Todo:
    return Todo.objects.create(
        title="Milk",
        desc="2 litres",
        remind_at_address="Shop",
        remind_at_geo="51.5,-0.12",
        tag=["food"],
        todo_list=todo_list,
    )


# --- /todo-lists ------------------------------------------------------------


def test_list_todo_lists_is_empty_at_first(client: Client) -> None:
    response = client.get("/todo-lists")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == []


def test_list_todo_lists_in_id_order(client: Client) -> None:
    first = TodoList.objects.create(title="B")
    second = TodoList.objects.create(title="A", color="red")
    response = client.get("/todo-lists")
    assert response.status_code == 200
    assert response.json() == [
        {"id": first.pk, "title": "B", "color": None},
        {"id": second.pk, "title": "A", "color": "red"},
    ]


def test_create_todo_list(client: Client) -> None:
    response = send(client, "POST", "/todo-lists", {"title": "Work", "color": "blue"})
    assert response.status_code == 201
    created = TodoList.objects.get()
    assert response.json() == {"id": created.pk, "title": "Work", "color": "blue"}
    assert (created.title, created.color) == ("Work", "blue")


def test_create_todo_list_without_color_stores_null(client: Client) -> None:
    response = send(client, "POST", "/todo-lists", {"title": "Work"})
    assert response.status_code == 201
    assert response.json()["color"] is None
    assert TodoList.objects.get().color is None


def test_create_needs_no_csrf_token() -> None:
    client = Client(enforce_csrf_checks=True)
    response = send(client, "POST", "/todo-lists", {"title": "Work"})
    assert response.status_code == 201


def test_get_todo_list(client: Client, todo_list: TodoList) -> None:
    response = client.get(f"/todo-lists/{todo_list.pk}")
    assert response.status_code == 200
    assert response.json() == {"id": todo_list.pk, "title": "Groceries", "color": "green"}


def test_patch_todo_list_changes_only_given_fields(client: Client, todo_list: TodoList) -> None:
    response = send(client, "PATCH", f"/todo-lists/{todo_list.pk}", {"color": "red"})
    assert response.status_code == 200
    assert response.json() == {"id": todo_list.pk, "title": "Groceries", "color": "red"}
    todo_list.refresh_from_db()
    assert (todo_list.title, todo_list.color) == ("Groceries", "red")


def test_patch_todo_list_with_empty_object_changes_nothing(
    client: Client, todo_list: TodoList
) -> None:
    response = send(client, "PATCH", f"/todo-lists/{todo_list.pk}", {})
    assert response.status_code == 200
    assert response.json() == {"id": todo_list.pk, "title": "Groceries", "color": "green"}


def test_put_todo_list_replaces_it(client: Client, todo_list: TodoList) -> None:
    response = send(client, "PUT", f"/todo-lists/{todo_list.pk}", {"title": "Shopping"})
    assert response.status_code == 200
    # color was not sent, so the replacement has none.
    assert response.json() == {"id": todo_list.pk, "title": "Shopping", "color": None}
    todo_list.refresh_from_db()
    assert (todo_list.title, todo_list.color) == ("Shopping", None)


def test_put_todo_list_keeps_its_todos(client: Client, todo: Todo) -> None:
    response = send(client, "PUT", f"/todo-lists/{todo.todo_list_id}", {"title": "Shopping"})
    assert response.status_code == 200
    assert list(Todo.objects.values_list("todo_list_id", flat=True)) == [todo.todo_list_id]


def test_delete_todo_list_cascades_to_todos_and_image(client: Client, todo: Todo) -> None:
    todo_list = todo.todo_list
    TodoListImage.objects.create(todo_list=todo_list, value="milk.png")
    other = TodoList.objects.create(title="Other")
    other_todo = Todo.objects.create(title="Keep", todo_list=other)

    response = client.delete(f"/todo-lists/{todo_list.pk}")

    assert response.status_code == 204
    assert response.content == b""
    assert list(TodoList.objects.all()) == [other]
    assert list(Todo.objects.all()) == [other_todo]
    assert not TodoListImage.objects.exists()


# --- /todos -----------------------------------------------------------------


def test_list_todos_in_id_order(client: Client, todo: Todo) -> None:
    loose = Todo.objects.create(title="Call mum", is_complete=True)
    response = client.get("/todos")
    assert response.status_code == 200
    assert response.json() == [todo_json(todo), todo_json(loose)]


def test_create_todo_with_every_field(client: Client, todo_list: TodoList) -> None:
    body = {
        "title": "Bread",
        "desc": "Wholemeal",
        "is_complete": True,
        "remind_at_address": "Bakery",
        "remind_at_geo": "48.85,2.35",
        "tag": {"aisle": 3, "labels": ["food", "fresh"], "urgent": None},
        "todo_list_id": todo_list.pk,
    }
    response = send(client, "POST", "/todos", body)
    assert response.status_code == 201
    created = Todo.objects.get()
    assert response.json() == {"id": created.pk, **body}
    assert todo_json(created) == {"id": created.pk, **body}


def test_create_todo_with_only_a_title_gets_the_defaults(client: Client) -> None:
    response = send(client, "POST", "/todos", {"title": "Bread"})
    assert response.status_code == 201
    created = Todo.objects.get()
    expected = {
        "id": created.pk,
        "title": "Bread",
        "desc": None,
        "is_complete": False,
        "remind_at_address": None,
        "remind_at_geo": None,
        "tag": None,
        "todo_list_id": None,
    }
    assert response.json() == expected
    assert todo_json(created) == expected


def test_create_todo_accepts_unicode_and_max_length_title(client: Client) -> None:
    title = "é😀" * 100  # 200 characters, 4-byte ones included (utf8mb4 on MariaDB).
    response = send(client, "POST", "/todos", {"title": title, "tag": ["日本"]})
    assert response.status_code == 201
    assert Todo.objects.get().title == title


def test_get_todo(client: Client, todo: Todo) -> None:
    response = client.get(f"/todos/{todo.pk}")
    assert response.status_code == 200
    assert response.json() == {
        "id": todo.pk,
        "title": "Milk",
        "desc": "2 litres",
        "is_complete": False,
        "remind_at_address": "Shop",
        "remind_at_geo": "51.5,-0.12",
        "tag": ["food"],
        "todo_list_id": todo.todo_list_id,
    }


def test_patch_todo_marks_it_complete(client: Client, todo: Todo) -> None:
    before = todo_json(todo)
    response = send(client, "PATCH", f"/todos/{todo.pk}", {"is_complete": True})
    assert response.status_code == 200
    assert response.json() == {**before, "is_complete": True}
    assert todo_json(todo) == {**before, "is_complete": True}


def test_patch_todo_moves_it_to_another_list_or_none(client: Client, todo: Todo) -> None:
    other = TodoList.objects.create(title="Other")
    response = send(client, "PATCH", f"/todos/{todo.pk}", {"todo_list_id": other.pk})
    assert response.status_code == 200
    assert response.json()["todo_list_id"] == other.pk

    response = send(client, "PATCH", f"/todos/{todo.pk}", {"todo_list_id": None})
    assert response.status_code == 200
    assert response.json()["todo_list_id"] is None
    todo.refresh_from_db()
    assert todo.todo_list_id is None


def test_put_todo_replaces_it(client: Client, todo: Todo) -> None:
    response = send(client, "PUT", f"/todos/{todo.pk}", {"title": "Oat milk", "tag": []})
    assert response.status_code == 200
    expected = {
        "id": todo.pk,
        "title": "Oat milk",
        "desc": None,
        "is_complete": False,
        "remind_at_address": None,
        "remind_at_geo": None,
        "tag": [],
        "todo_list_id": None,
    }
    assert response.json() == expected
    assert todo_json(todo) == expected


def test_delete_todo_keeps_its_list(client: Client, todo: Todo) -> None:
    response = client.delete(f"/todos/{todo.pk}")
    assert response.status_code == 204
    assert response.content == b""
    assert not Todo.objects.exists()
    assert TodoList.objects.filter(pk=todo.todo_list_id).exists()


# --- /todo-lists/<id>/todos -------------------------------------------------


def test_list_todos_of_a_list_only(client: Client, todo: Todo) -> None:
    second = Todo.objects.create(title="Eggs", todo_list=todo.todo_list)
    Todo.objects.create(title="Elsewhere", todo_list=TodoList.objects.create(title="Other"))
    Todo.objects.create(title="Loose")
    response = client.get(f"/todo-lists/{todo.todo_list_id}/todos")
    assert response.status_code == 200
    assert response.json() == [todo_json(todo), todo_json(second)]


def test_list_todos_of_an_empty_list(client: Client, todo_list: TodoList) -> None:
    response = client.get(f"/todo-lists/{todo_list.pk}/todos")
    assert response.status_code == 200
    assert response.json() == []


def test_create_todo_in_a_list(client: Client, todo_list: TodoList) -> None:
    response = send(client, "POST", f"/todo-lists/{todo_list.pk}/todos", {"title": "Eggs"})
    assert response.status_code == 201
    created = Todo.objects.get()
    assert created.todo_list == todo_list
    assert response.json() == todo_json(created)
    assert response.json()["todo_list_id"] == todo_list.pk


def test_create_todo_in_a_list_accepts_the_same_list_id(
    client: Client, todo_list: TodoList
) -> None:
    url = f"/todo-lists/{todo_list.pk}/todos"
    response = send(client, "POST", url, {"title": "Eggs", "todo_list_id": todo_list.pk})
    assert response.status_code == 201
    assert Todo.objects.get().todo_list == todo_list


def test_create_todo_in_a_list_refuses_another_list_id(client: Client, todo_list: TodoList) -> None:
    other = TodoList.objects.create(title="Other")
    url = f"/todo-lists/{todo_list.pk}/todos"
    response = send(client, "POST", url, {"title": "Eggs", "todo_list_id": other.pk})
    assert response.status_code == 400
    assert response.json() == validation_failed(
        {"todo_list_id": [f"Must be {todo_list.pk}, as in the URL."]}
    )
    assert not Todo.objects.exists()


# --- 400 --------------------------------------------------------------------

NESTED_21 = "[" * 21 + "]" * 21


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        # Python's own wording of syntax errors changes between versions.
        ("", "Invalid JSON body: "),
        ("{title: 1}", "Invalid JSON body: "),
        ('{"title": "a",}', "Invalid JSON body: "),
        ('{"title": NaN}', "Invalid JSON body: NaN is not valid JSON"),
        ('{"title": "a", "tag": Infinity}', "Invalid JSON body: Infinity is not valid JSON"),
        ("[" * 100_000 + "]" * 100_000, "Invalid JSON body: nested too deeply."),
        ('["title"]', "The JSON body must be an object."),
        ('"title"', "The JSON body must be an object."),
        ("null", "The JSON body must be an object."),
    ],
)
@pytest.mark.parametrize(
    ("method", "url"),
    [("POST", "/todos"), ("PUT", "/todos/{id}"), ("PATCH", "/todos/{id}")],
)
def test_invalid_json_body(
    client: Client, todo: Todo, method: str, url: str, raw: str, message: str
) -> None:
    before = todo_json(todo)
    response = send(client, method, url.format(id=todo.pk), raw=raw)
    assert response.status_code == 400
    body = response.json()
    assert list(body) == ["error"]
    assert body["error"].startswith(message)
    assert Todo.objects.count() == 1
    assert todo_json(todo) == before


def test_body_that_is_not_utf8(client: Client) -> None:
    response = client.generic("POST", "/todo-lists", b"\xff\xfe", "application/json")
    assert response.status_code == 400
    assert response.json()["error"].startswith("Invalid JSON body:")
    assert not TodoList.objects.exists()


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"title": ["This field is required."]}),
        ({"desc": "no title"}, {"title": ["This field is required."]}),
        ({"title": ""}, {"title": ["This field cannot be blank."]}),
        ({"title": None}, {"title": ["This field cannot be null."]}),
        (
            {"title": "x" * 201},
            {"title": ["Ensure this value has at most 200 characters (it has 201)."]},
        ),
        (
            {"title": "a", "remind_at_geo": "x" * 256},
            {"remind_at_geo": ["Ensure this value has at most 255 characters (it has 256)."]},
        ),
        ({"title": 123}, {"title": ["Must be a string."]}),
        ({"title": ["a"]}, {"title": ["Must be a string."]}),
        ({"title": "a", "desc": {"x": 1}}, {"desc": ["Must be a string."]}),
        ({"title": "a", "is_complete": "true"}, {"is_complete": ["Must be a boolean."]}),
        ({"title": "a", "is_complete": 1}, {"is_complete": ["Must be a boolean."]}),
        ({"title": "a", "is_complete": None}, {"is_complete": ["This field cannot be null."]}),
        ({"title": "a", "todo_list_id": "1"}, {"todo_list_id": ["Must be an integer."]}),
        ({"title": "a", "todo_list_id": True}, {"todo_list_id": ["Must be an integer."]}),
        ({"title": "a", "todo_list_id": 1.5}, {"todo_list_id": ["Must be an integer."]}),
        ({"title": "nul\x00"}, {"title": ["Null characters are not allowed."]}),
        ({"title": "a", "tag": {"k": ["nul\x00"]}}, {"tag": ["Null characters are not allowed."]}),
        ({"title": "\ud800"}, {"title": ["Invalid Unicode (lone surrogate)."]}),
        ({"title": "a", "tag": json.loads(NESTED_21)}, {"tag": ["Nested deeper than 20 levels."]}),
        ({"id": 5, "title": "a"}, {"id": ["This field is read-only."]}),
        ({"title": "a", "todo_list": 1}, {"todo_list": ["Unknown field."]}),
        (
            {"title": 1, "isComplete": True},
            {"title": ["Must be a string."], "isComplete": ["Unknown field."]},
        ),
    ],
)
def test_create_todo_validation(client: Client, body: dict, errors: dict) -> None:
    response = send(client, "POST", "/todos", body)
    assert response.status_code == 400
    assert response.json() == validation_failed(errors)
    assert not Todo.objects.exists()


@pytest.mark.parametrize("todo_list_id", [MISSING_ID, -1, 2**63, 10**30])
def test_create_todo_in_an_unknown_list(client: Client, todo_list_id: int) -> None:
    response = send(client, "POST", "/todos", {"title": "a", "todo_list_id": todo_list_id})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "Validation failed."
    assert list(body["errors"]) == ["todo_list_id"]
    # Django's own message; its wording changed across versions, the id stays.
    [message] = body["errors"]["todo_list_id"]
    assert str(todo_list_id) in message
    assert not Todo.objects.exists()


def test_deepest_accepted_tag_round_trips(client: Client) -> None:
    tag = json.loads("[" * 20 + "]" * 20)
    response = send(client, "POST", "/todos", {"title": "a", "tag": tag})
    assert response.status_code == 201
    assert client.get(f"/todos/{response.json()['id']}").json()["tag"] == tag


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"title": ""}, {"title": ["This field cannot be blank."]}),
        ({"title": None}, {"title": ["This field cannot be null."]}),
        ({"is_complete": "yes"}, {"is_complete": ["Must be a boolean."]}),
        ({"remind_at_address": 5}, {"remind_at_address": ["Must be a string."]}),
        ({"done": True}, {"done": ["Unknown field."]}),
        ({"id": 1}, {"id": ["This field is read-only."]}),
    ],
)
def test_patch_todo_validation_leaves_it_unchanged(
    client: Client, todo: Todo, body: dict, errors: dict
) -> None:
    before = todo_json(todo)
    response = send(client, "PATCH", f"/todos/{todo.pk}", body)
    assert response.status_code == 400
    assert response.json() == validation_failed(errors)
    assert todo_json(todo) == before


def test_patch_todo_to_an_unknown_list(client: Client, todo: Todo) -> None:
    before = todo_json(todo)
    response = send(client, "PATCH", f"/todos/{todo.pk}", {"todo_list_id": MISSING_ID})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["todo_list_id"]
    assert todo_json(todo) == before


def test_put_todo_needs_a_title(client: Client, todo: Todo) -> None:
    before = todo_json(todo)
    response = send(client, "PUT", f"/todos/{todo.pk}", {"is_complete": True})
    assert response.status_code == 400
    assert response.json() == validation_failed({"title": ["This field is required."]})
    assert todo_json(todo) == before


@pytest.mark.parametrize(
    ("method", "body", "errors"),
    [
        ("POST", {}, {"title": ["This field is required."]}),
        ("POST", {"title": "a", "color": 1}, {"color": ["Must be a string."]}),
        (
            "POST",
            {"title": "a", "color": "c" * 51},
            {"color": ["Ensure this value has at most 50 characters (it has 51)."]},
        ),
        ("POST", {"title": "a", "todos": []}, {"todos": ["Unknown field."]}),
        ("PUT", {"color": "red"}, {"title": ["This field is required."]}),
        ("PATCH", {"title": ""}, {"title": ["This field cannot be blank."]}),
        ("PATCH", {"title": False}, {"title": ["Must be a string."]}),
    ],
)
def test_todo_list_validation_leaves_rows_unchanged(
    client: Client, todo_list: TodoList, method: str, body: dict, errors: dict
) -> None:
    url = "/todo-lists" if method == "POST" else f"/todo-lists/{todo_list.pk}"
    response = send(client, method, url, body)
    assert response.status_code == 400
    assert response.json() == validation_failed(errors)
    assert list(TodoList.objects.values("id", "title", "color")) == [
        {"id": todo_list.pk, "title": "Groceries", "color": "green"}
    ]


def test_create_todo_in_a_list_validation(client: Client, todo_list: TodoList) -> None:
    url = f"/todo-lists/{todo_list.pk}/todos"
    response = send(client, "POST", url, {"title": "x" * 201, "is_complete": "no"})
    assert response.status_code == 400
    assert response.json() == validation_failed({"is_complete": ["Must be a boolean."]})
    response = send(client, "POST", url, {"title": "x" * 201})
    assert response.json() == validation_failed(
        {"title": ["Ensure this value has at most 200 characters (it has 201)."]}
    )
    assert not Todo.objects.exists()


# --- 404 --------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "PATCH", "PUT", "DELETE"])
@pytest.mark.parametrize(
    ("url", "name"), [("/todos/{id}", "Todo"), ("/todo-lists/{id}", "TodoList")]
)
@pytest.mark.parametrize("missing", [MISSING_ID, 0, 10**30])
def test_missing_object(
    client: Client, todo: Todo, method: str, url: str, name: str, missing: int
) -> None:
    # A body that would pass validation, so only the missing id can fail.
    response = send(client, method, url.format(id=missing), {"title": "x"})
    assert response.status_code == 404
    assert response.json() == {"error": f"{name} with id {missing} not found."}
    assert Todo.objects.count() == TodoList.objects.count() == 1


@pytest.mark.parametrize("method", ["PATCH", "PUT"])
def test_missing_object_wins_over_a_bad_body(client: Client, method: str) -> None:
    response = send(client, method, f"/todos/{MISSING_ID}", raw="not json")
    assert response.status_code == 404
    assert response.json() == {"error": f"Todo with id {MISSING_ID} not found."}


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_todos_of_a_missing_list(client: Client, method: str) -> None:
    response = send(client, method, f"/todo-lists/{MISSING_ID}/todos", {"title": "x"})
    assert response.status_code == 404
    assert response.json() == {"error": f"TodoList with id {MISSING_ID} not found."}
    assert not Todo.objects.exists()


def test_deleted_object_is_gone(client: Client, todo: Todo) -> None:
    assert client.delete(f"/todos/{todo.pk}").status_code == 204
    response = client.delete(f"/todos/{todo.pk}")
    assert response.status_code == 404
    assert response.json() == {"error": f"Todo with id {todo.pk} not found."}


# --- 405 --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url", "allow"),
    [
        ("PUT", "/todo-lists", "GET, POST, HEAD, OPTIONS"),
        ("PATCH", "/todo-lists", "GET, POST, HEAD, OPTIONS"),
        ("DELETE", "/todo-lists", "GET, POST, HEAD, OPTIONS"),
        ("POST", "/todo-lists/{list}", "GET, PATCH, PUT, DELETE, HEAD, OPTIONS"),
        ("PUT", "/todo-lists/{list}/todos", "GET, POST, HEAD, OPTIONS"),
        ("PATCH", "/todo-lists/{list}/todos", "GET, POST, HEAD, OPTIONS"),
        ("DELETE", "/todo-lists/{list}/todos", "GET, POST, HEAD, OPTIONS"),
        ("PUT", "/todos", "GET, POST, HEAD, OPTIONS"),
        ("PATCH", "/todos", "GET, POST, HEAD, OPTIONS"),
        ("DELETE", "/todos", "GET, POST, HEAD, OPTIONS"),
        ("POST", "/todos/{todo}", "GET, PATCH, PUT, DELETE, HEAD, OPTIONS"),
        ("TRACE", "/todos/{todo}", "GET, PATCH, PUT, DELETE, HEAD, OPTIONS"),
    ],
)
def test_method_not_allowed(client: Client, todo: Todo, method: str, url: str, allow: str) -> None:
    before = todo_json(todo)
    url = url.format(list=todo.todo_list_id, todo=todo.pk)
    response = send(client, method, url, {"title": "x"})
    assert response.status_code == 405
    assert response.json() == {"error": f"Method {method} not allowed."}
    assert sorted(response["Allow"].split(", ")) == sorted(allow.split(", "))
    assert Todo.objects.count() == TodoList.objects.count() == 1
    assert todo_json(todo) == before
