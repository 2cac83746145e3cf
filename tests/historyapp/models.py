"""An app with a migration history: the models are at the last migration.

0001 creates Author and Book; 0002 adds Book.isbn and an index; 0003 widens
Book.title, makes Author.name unique, drops Book.pages and adds a check.
"""

from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=100, unique=True)


class Book(models.Model):
    title = models.CharField(max_length=300)
    author = models.ForeignKey(Author, models.CASCADE, related_name="books")
    isbn = models.CharField(max_length=13, default="")
    rating = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["isbn"], name="historyapp_book_isbn_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(rating__gte=0), name="rating_not_negative")
        ]
