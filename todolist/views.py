"""The JSON endpoints of LoopBack's TodoList tutorial, as plain Django views.

Every view speaks JSON both ways. Field names are the model attributes, with
foreign keys under their column name (``todo_list_id``), so a client can send
back exactly what it received. Errors are always ``{"error": "..."}``, plus
``"errors": {field: [messages]}`` when specific fields were rejected.

Validation runs ``Model.full_clean()`` so Django's own validators (max_length,
blank, existence of the referenced list) apply. A strict type check comes
first because ``full_clean()`` coerces happily: it would store ``123`` as the
title ``"123"`` and read ``"0"`` as ``False``.
"""

import json
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from .models import Todo, TodoList

M = TypeVar("M", bound=models.Model)

# Python types accepted for each kind of model field, with the message shown
# otherwise. Kinds missing here (JSONField) accept any JSON value.
EXPECTED_TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    "CharField": ((str,), "Must be a string."),
    "TextField": ((str,), "Must be a string."),
    "BooleanField": ((bool,), "Must be a boolean."),
    "ForeignKey": ((int,), "Must be an integer."),
}

# MariaDB's json_valid() (the check constraint on its JSON columns) refuses
# 32 levels of nesting and more; stay well below.
MAX_JSON_DEPTH = 20


class ApiError(Exception):
    """Raised anywhere in a view to answer with a JSON error instead."""

    def __init__(
        self, status: int, message: str, errors: dict[str, list[str]] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors

    def response(self) -> JsonResponse:
        body: dict[str, Any] = {"error": self.message}
        if self.errors is not None:
            body["errors"] = self.errors
        return JsonResponse(body, status=self.status)


def validation_error(errors: dict[str, list[str]]) -> ApiError:
    return ApiError(400, "Validation failed.", errors)


def _reject_constant(name: str) -> None:
    # Python's json accepts NaN and Infinity; they are not JSON and
    # PostgreSQL's jsonb refuses them, so refuse them at the door.
    raise ValueError(f"{name} is not valid JSON")


def parse_body(request: HttpRequest) -> dict[str, Any]:
    """The request body as a JSON object, or a 400."""
    try:
        data = json.loads(request.body, parse_constant=_reject_constant)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError both are
        raise ApiError(400, f"Invalid JSON body: {exc}") from exc
    except RecursionError as exc:
        raise ApiError(400, "Invalid JSON body: nested too deeply.") from exc
    if not isinstance(data, dict):
        raise ApiError(400, "The JSON body must be an object.")
    return data


def serialize(obj: models.Model) -> dict[str, Any]:
    """All concrete fields by attribute name; foreign keys as their ``_id``."""
    return {field.attname: field.value_from_object(obj) for field in obj._meta.concrete_fields}


def get_object(model: type[M], pk: int) -> M:
    obj = model._default_manager.filter(pk=pk).first()
    if obj is None:
        raise ApiError(404, f"{model.__name__} with id {pk} not found.")
    return obj


def writable_fields(model: type[models.Model]) -> dict[str, models.Field]:
    """The fields a client may set, keyed by the name it uses for them."""
    return {f.attname: f for f in model._meta.concrete_fields if not f.primary_key}


def string_error(value: str) -> str | None:
    """Why a string cannot be stored: PostgreSQL refuses NUL in text and jsonb,
    and no backend can encode a lone surrogate (``"\\ud800"`` is valid JSON)."""
    if "\x00" in value:
        return "Null characters are not allowed."
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "Invalid Unicode (lone surrogate)."
    return None


def json_value_error(value: Any) -> str | None:
    """Why a decoded JSON value (a plain string included) cannot be stored.

    Walks the value iteratively: besides bad strings anywhere inside, it
    refuses nesting MariaDB's ``json_valid()`` check constraint would reject.
    """
    pending = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            if depth == MAX_JSON_DEPTH:
                return f"Nested deeper than {MAX_JSON_DEPTH} levels."
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
        elif isinstance(item, str) and (error := string_error(item)):
            return error
    return None


def type_error(field: models.Field, value: Any) -> str | None:
    """Why ``value`` cannot go into ``field``, or None if it fits."""
    if value is None:
        return None if field.null else "This field cannot be null."
    expected, message = EXPECTED_TYPES.get(field.get_internal_type(), ((object,), ""))
    # bool is an int in Python; only a BooleanField should take true/false.
    if not isinstance(value, expected) or (isinstance(value, bool) and bool not in expected):
        return message
    return json_value_error(value)


def check_input(model: type[models.Model], data: dict[str, Any], *, replace: bool) -> None:
    """Reject unknown keys, wrong types and, when replacing, missing required fields."""
    fields = writable_fields(model)
    errors: dict[str, list[str]] = {}
    for key, value in data.items():
        if key not in fields:
            read_only = key in (model._meta.pk.attname, "pk")
            errors[key] = ["This field is read-only." if read_only else "Unknown field."]
        elif message := type_error(fields[key], value):
            errors[key] = [message]
    if replace:
        for name, field in fields.items():
            if name not in data and not field.blank and not field.has_default():
                errors[name] = ["This field is required."]
    if errors:
        raise validation_error(errors)


def save(obj: M, data: dict[str, Any], *, replace: bool) -> M:
    """Validate ``data`` and store it on ``obj``.

    ``replace`` (POST, PUT) resets every field not in ``data`` to its default;
    otherwise (PATCH) only the given fields change.
    """
    model = type(obj)
    check_input(model, data, replace=replace)
    fields = writable_fields(model)
    if replace:
        for name, field in fields.items():
            setattr(obj, name, field.get_default())
    for name, value in data.items():
        setattr(obj, name, value)
    try:
        obj.full_clean()
    except ValidationError as exc:
        # full_clean() keys errors by field name; answer with the names the
        # client sent (todo_list -> todo_list_id).
        attnames = {f.name: f.attname for f in fields.values()}
        raise validation_error(
            {attnames.get(key, key): messages for key, messages in exc.message_dict.items()}
        ) from exc
    obj.save()
    return obj


@method_decorator(csrf_exempt, name="dispatch")
class JsonView(View):
    """Base view: turns ApiError into JSON and answers 405 in JSON too."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return super().dispatch(request, *args, **kwargs)
        except ApiError as exc:
            return exc.response()

    def http_method_not_allowed(
        self, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        response = ApiError(405, f"Method {request.method} not allowed.").response()
        response["Allow"] = ", ".join(self._allowed_methods())
        return response


class CollectionView(JsonView):
    """A collection: list all objects, or create one."""

    model: type[models.Model]

    def get(self, request: HttpRequest) -> JsonResponse:
        objects = self.model._default_manager.order_by("pk")
        return JsonResponse([serialize(obj) for obj in objects], safe=False)

    def post(self, request: HttpRequest) -> JsonResponse:
        obj = save(self.model(), parse_body(request), replace=True)
        return JsonResponse(serialize(obj), status=201)


class DetailView(JsonView):
    """One object: read, update (PATCH), replace (PUT), delete."""

    model: type[models.Model]

    def get(self, request: HttpRequest, id: int) -> JsonResponse:
        return JsonResponse(serialize(get_object(self.model, id)))

    def patch(self, request: HttpRequest, id: int) -> JsonResponse:
        obj = get_object(self.model, id)
        return JsonResponse(serialize(save(obj, parse_body(request), replace=False)))

    def put(self, request: HttpRequest, id: int) -> JsonResponse:
        obj = get_object(self.model, id)
        return JsonResponse(serialize(save(obj, parse_body(request), replace=True)))

    def delete(self, request: HttpRequest, id: int) -> HttpResponse:
        get_object(self.model, id).delete()
        return HttpResponse(status=204)


class TodoListCollectionView(CollectionView):
    """``/todo-lists``"""

    model = TodoList


class TodoListDetailView(DetailView):
    """``/todo-lists/<id>``"""

    model = TodoList


class TodoCollectionView(CollectionView):
    """``/todos``"""

    model = Todo


class TodoDetailView(DetailView):
    """``/todos/<id>``"""

    model = Todo


class TodoListTodosView(JsonView):
    """``/todo-lists/<id>/todos``: the todos of one list, or a new one in it."""

    def get(self, request: HttpRequest, id: int) -> JsonResponse:
        todo_list = get_object(TodoList, id)
        todos = todo_list.todos.order_by("pk")
        return JsonResponse([serialize(todo) for todo in todos], safe=False)

    def post(self, request: HttpRequest, id: int) -> JsonResponse:
        todo_list = get_object(TodoList, id)
        data = parse_body(request)
        # The list comes from the URL; a different one in the body is a mistake.
        if data.setdefault("todo_list_id", todo_list.pk) != todo_list.pk:
            raise validation_error({"todo_list_id": [f"Must be {todo_list.pk}, as in the URL."]})
        todo = save(Todo(), data, replace=True)
        return JsonResponse(serialize(todo), status=201)
