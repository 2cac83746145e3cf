from django.contrib import admin

from .models import Todo, TodoList, TodoListImage


class TodoInline(admin.TabularInline):
    model = Todo
    fields = ("title", "is_complete", "remind_at_address", "remind_at_geo")
    extra = 1


@admin.register(TodoList)
class TodoListAdmin(admin.ModelAdmin):
    list_display = ("id", "title", "color")
    search_fields = ("title",)
    inlines = [TodoInline]


@admin.register(Todo)
class TodoAdmin(admin.ModelAdmin):
    list_display = ("id", "title", "is_complete", "todo_list", "remind_at_address")
    list_filter = ("is_complete",)
    list_select_related = ("todo_list",)
    search_fields = ("title", "desc")
    autocomplete_fields = ("todo_list",)


@admin.register(TodoListImage)
class TodoListImageAdmin(admin.ModelAdmin):
    list_display = ("id", "todo_list", "value")
    list_select_related = ("todo_list",)
    autocomplete_fields = ("todo_list",)
