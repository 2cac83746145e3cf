"""The models of LoopBack's TodoList tutorial.

Kept deliberately plain (default table and column names, no Meta.db_table) so
they behave the same on SQLite, PostgreSQL and MariaDB. Optional strings are
``null=True`` (hence the DJ001 noqa): as in LoopBack, a property the client
never sent is stored as NULL, not as an empty string.
"""

from django.db import models


class TodoList(models.Model):
    title = models.CharField(max_length=200)
    color = models.CharField(max_length=50, blank=True, null=True)  # noqa: DJ001

    def __str__(self) -> str:
        return self.title


class Todo(models.Model):
    title = models.CharField(max_length=200)
    desc = models.TextField(blank=True, null=True)  # noqa: DJ001
    is_complete = models.BooleanField(default=False)
    remind_at_address = models.CharField(max_length=255, blank=True, null=True)  # noqa: DJ001
    # A "lat,lng" string, as in the LoopBack tutorial.
    remind_at_geo = models.CharField(max_length=255, blank=True, null=True)  # noqa: DJ001
    tag = models.JSONField(blank=True, null=True)
    # LoopBack calls this todoListId; the column keeps Django's todo_list_id.
    todo_list = models.ForeignKey(
        TodoList,
        on_delete=models.CASCADE,
        related_name="todos",
        null=True,
        blank=True,
    )

    def __str__(self) -> str:
        return self.title


class TodoListImage(models.Model):
    value = models.CharField(max_length=255)
    todo_list = models.OneToOneField(TodoList, on_delete=models.CASCADE, related_name="image")

    def __str__(self) -> str:
        return f"Image of {self.todo_list}"
