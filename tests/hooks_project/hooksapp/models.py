"""Version 1 of the models; the outer-run tests rewrite this file."""

from django.db import models


class Book(models.Model):
    title = models.CharField(max_length=100)


class Note(models.Model):
    text = models.TextField()


class AbstractThing(models.Model):
    name = models.CharField(max_length=30)

    class Meta:
        abstract = True
