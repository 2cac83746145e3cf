"""The tutorial's REST paths, without trailing slashes as in LoopBack."""

from django.urls import path

from . import views

app_name = "todolist"

urlpatterns = [
    path("todo-lists", views.TodoListCollectionView.as_view(), name="todolist-list"),
    path("todo-lists/<int:id>", views.TodoListDetailView.as_view(), name="todolist-detail"),
    path("todo-lists/<int:id>/todos", views.TodoListTodosView.as_view(), name="todolist-todos"),
    path("todos", views.TodoCollectionView.as_view(), name="todo-list"),
    path("todos/<int:id>", views.TodoDetailView.as_view(), name="todo-detail"),
]
